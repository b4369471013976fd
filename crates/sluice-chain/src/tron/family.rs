//! [`ChainFamily`] for TRON (spec §10.2). A payment is found by txID with
//! `gettransactioninfobyid` and judged from its block's copy of the transaction (a TRX
//! `TransferContract`) or from its info's `Transfer` logs (TRC-20). Prepare builds the
//! `raw_data` itself (see `transaction.rs`), referencing the latest block.

use async_trait::async_trait;
use sluice_domain::ChainName;
use sluice_domain::flow::{SigningPayload, TronTransaction};

use super::address::TronAddress;
use super::chain::{TronChain, hex_address};
use super::rpc::{TransactionInfo, TronRpcError};
use super::transaction::{Contract, RawTransaction};
use crate::RpcError;
use crate::family::*;
use crate::settlement::{ExpectedTransfer, Mismatch};

/// How far past the head block a transaction may expire: java-tron refuses more than 24 hours
/// (`TRANSACTION_EXPIRATION_ERROR`); a minute is kept back for a node a little ahead of ours.
const MAX_EXPIRATION_MS: i64 = 24 * 3600 * 1000 - 60_000;

/// Energy a TRC-20 `transfer` burns at most, and the sun one unit of energy costs when the
/// payer has none staked (420 sun since 2024), for the fee shown with a quote.
const TRC20_TRANSFER_ENERGY: u128 = 65_000;
const SUN_PER_ENERGY: u128 = 420;
/// Bandwidth of a TRX transfer (about 270 bytes) at 1,000 sun per byte once the free daily
/// bandwidth is used up.
const TRX_TRANSFER_SUN: u128 = 270_000;

impl From<TronRpcError> for RpcError {
    fn from(e: TronRpcError) -> Self {
        match e {
            TronRpcError::Transport(t) => RpcError::Transport(t),
            other => RpcError::Malformed(other.to_string()),
        }
    }
}

fn address(text: &str) -> Result<TronAddress, RpcError> {
    TronAddress::parse(text)
        .ok_or_else(|| RpcError::Malformed(format!("{text:?} is not a TRON address")))
}

impl TronChain {
    /// The transaction's info and its block's ID, if it is mined.
    async fn mined(&self, tx_id: &str) -> Result<Option<(TransactionInfo, String)>, RpcError> {
        let Some(info) = self.rpc().transaction_info(tx_id).await? else {
            return Ok(None);
        };
        let Some(block) = self.rpc().block(info.block_number).await? else {
            return Ok(None);
        };
        let hash = block.block_id.to_ascii_lowercase();
        Ok(Some((info, hash)))
    }

    /// A TRX payment judged from its block's copy of the transaction.
    async fn judge_trx(
        &self,
        info: &TransactionInfo,
        expected: &ExpectedTransfer<'_>,
    ) -> Result<Result<u128, Mismatch>, RpcError> {
        let block = self.rpc().block(info.block_number).await?;
        let tx = block.and_then(|b| {
            b.transactions
                .into_iter()
                .find(|t| t.tx_id.eq_ignore_ascii_case(&info.id))
        });
        let Some(tx) = tx else {
            return Ok(Err(Mismatch::NoTransfer));
        };
        if tx.ret.first().and_then(|r| r.contract_ret.as_deref()) != Some("SUCCESS") {
            return Ok(Err(Mismatch::Reverted));
        }
        let Some(contract) = tx.raw_data.contract.first() else {
            return Ok(Err(Mismatch::NoTransfer));
        };
        if contract.kind != "TransferContract" {
            return Ok(Err(Mismatch::WrongToken {
                actual: format!("a {}, not a TRX transfer", contract.kind),
            }));
        }
        let value = &contract.parameter.value;
        let hex = |key: &str| value[key].as_str().and_then(hex_address);
        let (Some(from), Some(to)) = (hex("owner_address"), hex("to_address")) else {
            return Ok(Err(Mismatch::NoTransfer));
        };
        let amount = value["amount"].as_u64().map_or(0, u128::from);
        Ok(judge(expected, from, to, amount))
    }
}

/// One transfer against what the flow expects.
fn judge(
    expected: &ExpectedTransfer<'_>,
    from: TronAddress,
    to: TronAddress,
    amount: u128,
) -> Result<u128, Mismatch> {
    if TronAddress::parse(expected.from) != Some(from) {
        return Err(Mismatch::WrongSender {
            actual: from.to_string(),
        });
    }
    if TronAddress::parse(expected.to) != Some(to) {
        return Err(Mismatch::WrongRecipient {
            actual: to.to_string(),
        });
    }
    if amount < expected.min_amount {
        return Err(Mismatch::TooLittle { actual: amount });
    }
    Ok(amount)
}

/// A TRC-20 payment judged from its info's logs: a `Transfer` by the token contract.
fn judge_token(
    info: &TransactionInfo,
    token: &str,
    expected: &ExpectedTransfer<'_>,
) -> Result<u128, Mismatch> {
    if info.receipt.result.is_none() && info.log.is_empty() && info.result.is_none() {
        // No contract ran: a TRX transfer (or another system contract) reported for a token.
        return Err(Mismatch::WrongToken {
            actual: "a transaction that calls no token contract".into(),
        });
    }
    if info.result.is_some() || info.receipt.result.as_deref() != Some("SUCCESS") {
        return Err(Mismatch::Reverted);
    }
    let transfers: Vec<_> = info
        .log
        .iter()
        .filter_map(super::chain::token_transfer)
        .collect();
    let Some(&(_, from, to, amount)) = transfers
        .iter()
        .find(|(t, ..)| Some(*t) == TronAddress::parse(token))
    else {
        return Err(match transfers.first() {
            Some((other, ..)) => Mismatch::WrongToken {
                actual: other.to_string(),
            },
            None => Mismatch::NoTransfer,
        });
    };
    judge(expected, from, to, amount)
}

#[async_trait]
impl ChainFamily for TronChain {
    /// Block 0's ID (spec §10.4): what the configuration names as the network.
    async fn network_id(&self) -> ChainResult<String> {
        Ok(self.genesis_id().await?.to_ascii_lowercase())
    }

    fn canonical_tx_hash(&self, hash: &str) -> String {
        hash.trim_start_matches("0x").to_ascii_lowercase()
    }

    async fn head(&self) -> ChainResult<u64> {
        Ok(self.rpc().now_block().await?.block_header.raw_data.number)
    }

    async fn block_hash(&self, number: u64) -> ChainResult<Option<String>> {
        let block = self.rpc().block(number).await?;
        Ok(block.map(|b| b.block_id.to_ascii_lowercase()))
    }

    async fn scan(
        &self,
        from: u64,
        to: u64,
        watch: &Watch<'_>,
    ) -> ChainResult<Option<ScannedRange>> {
        Ok(TronChain::scan(self, from, to, watch).await?)
    }

    async fn locate(&self, tx_hash: &str) -> ChainResult<Option<Sighting>> {
        Ok(self
            .mined(tx_hash)
            .await?
            .map(|(info, block_hash)| Sighting {
                tx_hash: tx_hash.to_owned(),
                block_number: info.block_number,
                block_hash,
            }))
    }

    async fn check_payment(
        &self,
        tx_hash: &str,
        expected: &ExpectedTransfer<'_>,
    ) -> ChainResult<Option<Checked>> {
        let Some((info, block_hash)) = self.mined(tx_hash).await? else {
            return Ok(None);
        };
        let verdict = match expected.token {
            None => self.judge_trx(&info, expected).await?,
            Some(token) => judge_token(&info, token, expected),
        };
        Ok(Some(Checked {
            block_number: info.block_number,
            block_hash,
            verdict,
        }))
    }

    async fn transfer_fee(&self, native: bool) -> ChainResult<u128> {
        Ok(if native {
            TRX_TRANSFER_SUN
        } else {
            TRC20_TRANSFER_ENERGY * SUN_PER_ENERGY
        })
    }

    fn native_decimals(&self) -> u8 {
        6
    }

    async fn signing_payload(
        &self,
        payment: &DirectPayment<'_>,
        chain: (ChainName, &str),
    ) -> Result<SigningPayload, PrepareError> {
        let (owner, to) = (address(payment.from)?, address(payment.to)?);
        self.assert_balances(payment, owner).await?;
        let contract = match payment.token {
            // TRX amounts are int64 sun on TRON; a token's is a uint256 in the call data.
            None => Contract::Transfer {
                owner,
                to,
                amount: i64::try_from(payment.amount).map_err(|_| {
                    RpcError::Malformed("more TRX than a transaction can carry".into())
                })?,
            },
            Some(token) => Contract::Trigger {
                owner,
                contract: address(token)?,
                data: super::chain::transfer_data(&to, payment.amount),
            },
        };
        let head = self.rpc().now_block().await.map_err(RpcError::from)?;
        let number = head.block_header.raw_data.number;
        let id = data_encoding::HEXLOWER_PERMISSIVE
            .decode(head.block_id.as_bytes())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| RpcError::Malformed("getnowblock: blockID".into()))?;
        let (ref_block_bytes, ref_block_hash) = RawTransaction::reference(number, &id);
        let raw = RawTransaction {
            ref_block_bytes,
            ref_block_hash,
            // A node refuses an expiration more than 24 h past its head block; a longer quote
            // (`quotes.ttl_secs` is the operator's) still gets a transaction that can land.
            expiration: payment
                .expires_at_ms
                .min(head.block_header.raw_data.timestamp + MAX_EXPIRATION_MS),
            fee_limit: payment.token.map(|_| self.fee_limit_sun),
            timestamp: head.block_header.raw_data.timestamp,
            contract,
        };
        Ok(SigningPayload {
            chain_name: chain.0,
            chain_id: chain.1.to_owned(),
            evm_transaction: None,
            psbt: None,
            tron_transaction: Some(TronTransaction {
                raw_data_hex: data_encoding::HEXLOWER.encode(&raw.encode()),
                to: to.to_string(),
                value: format!("0x{:x}", payment.amount),
            }),
            serialized_transaction: None,
        })
    }

    async fn balance(&self, owner: &str, token: Option<&str>) -> ChainResult<u128> {
        let owner = address(owner)?;
        Ok(match token {
            None => self.rpc().trx_balance(&owner).await?,
            Some(token) => self.rpc().token_balance(&owner, &address(token)?).await?,
        })
    }
}

impl TronChain {
    /// The token amount, and TRX for the fee limit (what a contract call may burn) or the
    /// transfer, as the payer asked.
    async fn assert_balances(
        &self,
        payment: &DirectPayment<'_>,
        owner: TronAddress,
    ) -> Result<(), PrepareError> {
        let trx = self
            .rpc()
            .trx_balance(&owner)
            .await
            .map_err(RpcError::from)?;
        let insufficient =
            |asset: &str, required: u128, available: u128| PrepareError::Insufficient {
                asset: asset.to_owned(),
                required,
                available,
            };
        match payment.token {
            None => {
                let fee = if payment.assert_balance_for_gas_cost {
                    TRX_TRANSFER_SUN
                } else {
                    0
                };
                let required = if payment.assert_balance_for_transfer_amount {
                    payment.amount
                } else {
                    0
                } + fee;
                if trx < required {
                    return Err(insufficient("TRX", required, trx));
                }
            }
            Some(token) => {
                if payment.assert_balance_for_transfer_amount {
                    let held = self
                        .rpc()
                        .token_balance(&owner, &address(token)?)
                        .await
                        .map_err(RpcError::from)?;
                    if held < payment.amount {
                        return Err(insufficient(payment.token_symbol, payment.amount, held));
                    }
                }
                let fee_limit = u128::try_from(self.fee_limit_sun).unwrap_or(0);
                if payment.assert_balance_for_gas_cost && trx < fee_limit {
                    return Err(insufficient("TRX", fee_limit, trx));
                }
            }
        }
        Ok(())
    }
}
