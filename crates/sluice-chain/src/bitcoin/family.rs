//! [`ChainFamily`] for Bitcoin (spec §10.1). Transactions are found and judged by txid with
//! `getrawtransaction`, which needs the node's transaction index (`txindex=1`) for mined
//! transactions; outputs are judged by script. Every answer reads the node's best chain.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use sluice_domain::ChainName;
use sluice_domain::address::{bitcoin_output_script, segwit_address};
use sluice_domain::flow::SigningPayload;

use super::chain::BitcoinChain;
use super::psbt::Coin;
use super::rpc::{BitcoinRpcError, decode_hex, satoshis};
use crate::RpcError;
use crate::family::*;
use crate::settlement::{ExpectedTransfer, Mismatch};

/// The virtual size of a typical payment (one P2WPKH input, payment and change), for the
/// fee shown with a quote; prepare computes the real one from the chosen coins.
const TYPICAL_PAYMENT_VBYTES: u128 = 141;

impl From<BitcoinRpcError> for RpcError {
    fn from(e: BitcoinRpcError) -> Self {
        match e {
            BitcoinRpcError::Transport(t) => RpcError::Transport(t),
            BitcoinRpcError::Rpc { code, message } => RpcError::Rpc { code, message },
            other => RpcError::Malformed(other.to_string()),
        }
    }
}

/// A transaction as `getrawtransaction <txid> true` shows it.
#[derive(Deserialize)]
struct Verbose<'a> {
    #[serde(borrow)]
    vout: Vec<VerboseOutput<'a>>,
    blockhash: Option<String>,
    /// Present only while the transaction is in a block of the best chain.
    confirmations: Option<u64>,
}

#[derive(Deserialize)]
struct VerboseOutput<'a> {
    #[serde(borrow)]
    value: &'a RawValue,
    #[serde(rename = "scriptPubKey")]
    script: Hex,
}

#[derive(Deserialize)]
struct Hex {
    hex: String,
}

impl BitcoinChain {
    /// The transaction as the node knows it (mined, or in its mempool), if it does.
    async fn known(&self, txid: &str) -> Result<Option<Box<RawValue>>, RpcError> {
        match self
            .rpc()
            .call("getrawtransaction", json!([txid, true]))
            .await
        {
            Ok(text) => Ok(Some(text)),
            // -5: no such transaction (not mined, not in the mempool, or no txindex).
            Err(BitcoinRpcError::Rpc { code: -5, .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Where the transaction is mined in the best chain, with its outputs.
    async fn mined(&self, txid: &str) -> Result<Option<(Sighting, Vec<(Vec<u8>, u64)>)>, RpcError> {
        let Some(text) = self.known(txid).await? else {
            return Ok(None);
        };
        let tx: Verbose = serde_json::from_str(text.get())
            .map_err(|e| RpcError::Malformed(format!("getrawtransaction: {e}")))?;
        let (Some(block_hash), Some(confirmations)) = (tx.blockhash, tx.confirmations) else {
            return Ok(None); // in the mempool, or in a block that left the best chain
        };
        if confirmations == 0 {
            return Ok(None);
        }
        // The header's height, not the tip minus confirmations: the tip may move in between.
        let Some(block_number) = self.rpc().block_height(&block_hash).await? else {
            return Ok(None);
        };
        let outputs = tx
            .vout
            .iter()
            .map(|o| Ok((decode_hex(&o.script.hex)?, satoshis(o.value.get())?)))
            .collect::<Result<_, BitcoinRpcError>>()?;
        let sighting = Sighting {
            tx_hash: txid.to_owned(),
            block_number,
            block_hash,
        };
        Ok(Some((sighting, outputs)))
    }

    fn judge(
        &self,
        outputs: &[(Vec<u8>, u64)],
        expected: &ExpectedTransfer<'_>,
    ) -> Result<u128, Mismatch> {
        if let Some(token) = expected.token {
            return Err(Mismatch::WrongToken {
                actual: format!("bitcoin, not {token}"),
            });
        }
        let Some(destination) = bitcoin_output_script(expected.to) else {
            return Err(Mismatch::NoTransfer);
        };
        let paid: u128 = outputs
            .iter()
            .filter(|(script, _)| *script == destination)
            .map(|(_, value)| u128::from(*value))
            .sum();
        if paid == 0 {
            let actual = outputs
                .iter()
                .find_map(|(script, _)| segwit_address(script, self.network().hrp()))
                .unwrap_or_else(|| "another script".to_owned());
            return Err(Mismatch::WrongRecipient { actual });
        }
        if paid < expected.min_amount {
            return Err(Mismatch::TooLittle { actual: paid });
        }
        Ok(paid)
    }

    async fn coins(&self, owner: &str) -> Result<Vec<Coin>, RpcError> {
        let script = bitcoin_output_script(owner)
            .ok_or_else(|| RpcError::Malformed(format!("{owner:?} is not a Bitcoin address")))?;
        Ok(self.spendable(&script).await?)
    }
}

#[async_trait]
impl ChainFamily for BitcoinChain {
    async fn network_id(&self) -> ChainResult<String> {
        Ok(BitcoinChain::network_id(self).await?)
    }

    fn canonical_tx_hash(&self, hash: &str) -> String {
        hash.to_ascii_lowercase()
    }

    async fn head(&self) -> ChainResult<u64> {
        Ok(self.rpc().block_count().await?)
    }

    async fn block_hash(&self, number: u64) -> ChainResult<Option<String>> {
        Ok(self.rpc().block_hash(number).await?)
    }

    async fn scan(
        &self,
        from: u64,
        to: u64,
        watch: &Watch<'_>,
    ) -> ChainResult<Option<ScannedRange>> {
        Ok(BitcoinChain::scan(self, from, to, watch).await?)
    }

    async fn locate(&self, tx_hash: &str) -> ChainResult<Option<Sighting>> {
        Ok(self.mined(tx_hash).await?.map(|(sighting, _)| sighting))
    }

    async fn is_unmined(&self, tx_hash: &str) -> ChainResult<bool> {
        let Some(text) = self.known(tx_hash).await? else {
            return Ok(false);
        };
        let tx: Verbose = serde_json::from_str(text.get())
            .map_err(|e| RpcError::Malformed(format!("getrawtransaction: {e}")))?;
        Ok(tx.confirmations.is_none_or(|c| c == 0))
    }

    async fn check_payment(
        &self,
        tx_hash: &str,
        expected: &ExpectedTransfer<'_>,
    ) -> ChainResult<Option<Checked>> {
        let Some((sighting, outputs)) = self.mined(tx_hash).await? else {
            return Ok(None);
        };
        Ok(Some(Checked {
            block_number: sighting.block_number,
            block_hash: sighting.block_hash,
            verdict: self.judge(&outputs, expected),
        }))
    }

    async fn transfer_fee(&self, _native: bool) -> ChainResult<u128> {
        let rate = self.fee_rate().await?.unwrap_or(self.fallback_fee_rate);
        Ok(u128::from(rate) * TYPICAL_PAYMENT_VBYTES)
    }

    fn native_decimals(&self) -> u8 {
        8
    }

    async fn signing_payload(
        &self,
        payment: &DirectPayment<'_>,
        chain: (ChainName, &str),
    ) -> Result<SigningPayload, PrepareError> {
        let amount = u64::try_from(payment.amount)
            .map_err(|_| RpcError::Malformed("more satoshis than exist".to_owned()))?;
        let built = self
            .payment_psbt(payment.from, payment.to, amount, self.fallback_fee_rate)
            .await
            .map_err(RpcError::from)?;
        // Without coins for amount and fee there is nothing to sign, asked to assert or not.
        let (psbt, _) = built.map_err(|short| PrepareError::Insufficient {
            asset: payment.token_symbol.to_owned(),
            required: u128::from(short.required),
            available: u128::from(short.available),
        })?;
        Ok(SigningPayload {
            chain_name: chain.0,
            chain_id: chain.1.to_owned(),
            evm_transaction: None,
            psbt: Some(psbt),
            tron_transaction: None,
            serialized_transaction: None,
        })
    }

    async fn balance(&self, owner: &str, token: Option<&str>) -> ChainResult<u128> {
        if token.is_some() {
            return Ok(0); // bitcoin has no tokens
        }
        let coins = self.coins(owner).await?;
        Ok(coins.iter().map(|c| u128::from(c.value_sat)).sum())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_typical_payment_is_the_vsize_psbt_estimates() {
        let coin = super::Coin {
            txid: String::new(),
            vout: 0,
            value_sat: 0,
            script: [&[0x00, 0x14][..], &[0; 20]].concat(),
            previous_tx: None,
        };
        let out: &[u8] = &coin.script.clone();
        assert_eq!(
            u128::from(crate::bitcoin::psbt::fee(&[coin], &[out, out], 1)),
            super::TYPICAL_PAYMENT_VBYTES
        );
    }
}
