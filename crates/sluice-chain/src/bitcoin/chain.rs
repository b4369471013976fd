//! One configured Bitcoin chain: its network's identity and the block scan. Each block is
//! read once (`getblockhash`, `getblock … 2`: two calls whatever is watched); outputs are
//! matched in memory, by script, against the watched deposit addresses, and transactions
//! against the watched payments by txid.

use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};
use sluice_domain::address::{bitcoin_output_script, segwit_address};

use super::network::BitcoinNetwork;
use super::psbt::{self, Coin, Plan, Shortfall};
use super::rpc::{
    BitcoinAuth, BitcoinResult, BitcoinRpc, BitcoinRpcError, Block, decode_hex, satoshis,
};
use crate::family::{Arrival, BlockRef, ScannedRange, Sighting, Watch};

/// How long prepare waits for the node's UTXO set scan (`scantxoutset` reads the whole set:
/// under a second on regtest, minutes on a mainnet node).
const UTXO_SCAN_TIMEOUT: Duration = Duration::from_secs(120);

/// Blocks before a coinbase output may be spent.
const COINBASE_MATURITY: u64 = 100;

/// Whether a serialised transaction is a coinbase (its one input spends nothing).
fn is_coinbase(tx: &[u8]) -> bool {
    // Version, then the segwit marker and flag if present, then the input count.
    let rest = match tx.get(4..) {
        Some([0x00, 0x01, rest @ ..]) => rest,
        Some(rest) => rest,
        None => return false,
    };
    matches!(rest, [0x01, prev @ ..] if prev.len() >= 36
        && prev[..32].iter().all(|&b| b == 0)
        && prev[32..36] == [0xff; 4])
}

/// `tokenAddress` of bitcoin itself (spec §10.1).
pub const BITCOIN_TOKEN: &str = "bitcoin";

pub struct BitcoinChain {
    rpc: BitcoinRpc,
    network: BitcoinNetwork,
    /// sat/vB when the node has no fee estimate (`fee_rate_sat_vb`).
    pub(super) fallback_fee_rate: u64,
    /// A node runs one `scantxoutset` at a time and refuses a second ("scan already in
    /// progress"), so two payers preparing at once take turns here.
    utxo_scan: tokio::sync::Mutex<()>,
}

impl BitcoinChain {
    pub fn new(
        url: &str,
        auth: BitcoinAuth,
        network: BitcoinNetwork,
        fallback_fee_rate: u64,
        timeout: Duration,
    ) -> Self {
        Self {
            rpc: BitcoinRpc::new(url, auth, timeout),
            network,
            fallback_fee_rate,
            utxo_scan: tokio::sync::Mutex::new(()),
        }
    }

    pub fn rpc(&self) -> &BitcoinRpc {
        &self.rpc
    }

    pub fn network(&self) -> BitcoinNetwork {
        self.network
    }

    /// The network the node serves, in the configured spelling (`bitcoin`, `regtest`, …),
    /// or the node's own name when it is none of them.
    /// A node that is not what Sluice needs answers with what it is instead, so that the
    /// chain stays unproven: another coin on the same network name (its genesis block is not
    /// Bitcoin's), or no transaction index (wallet payments could never be judged).
    pub async fn network_id(&self) -> BitcoinResult<String> {
        let chain = self.rpc.network().await?;
        let Some(network) = BitcoinNetwork::from_node(&chain) else {
            return Ok(chain);
        };
        let name = network.as_str();
        if let Some(expected) = network.genesis_hash() {
            let genesis = self.rpc.block_hash(0).await?.unwrap_or_default();
            if genesis != expected {
                return Ok(format!("{name} of another coin (genesis block {genesis})"));
            }
        }
        if let Some(problem) = self.rpc.transaction_index_problem().await? {
            return Ok(format!("{name} {problem}"));
        }
        Ok(name.to_owned())
    }

    /// Blocks `from..=to`, each read once; `None` when one of them does not exist (the tip
    /// moved back: a reorg).
    pub async fn scan(
        &self,
        from: u64,
        to: u64,
        watch: &Watch<'_>,
    ) -> BitcoinResult<Option<ScannedRange>> {
        let mut found = ScannedRange::default();
        for height in from..=to {
            let Some(hash) = self.rpc.block_hash(height).await? else {
                return Ok(None);
            };
            let block = self.rpc.block(&hash).await?;
            self.read_block(block, watch, &mut found);
        }
        Ok(Some(found))
    }

    /// The confirmed outputs paying `script`, from the node's UTXO set (`scantxoutset` with a
    /// `raw()` descriptor: no wallet on the node, no address text sent to it). A legacy
    /// output carries its whole previous transaction, which a signer needs.
    pub async fn spendable(&self, script: &[u8]) -> BitcoinResult<Vec<Coin>> {
        #[derive(Deserialize)]
        struct Scan<'a> {
            #[serde(borrow)]
            unspents: Vec<Unspent<'a>>,
        }
        #[derive(Deserialize)]
        struct Unspent<'a> {
            txid: String,
            vout: u32,
            #[serde(borrow)]
            amount: &'a RawValue,
            height: u64,
        }
        let descriptor = format!("raw({})", data_encoding::HEXLOWER.encode(script));
        let text: Box<RawValue> = {
            let _turn = self.utxo_scan.lock().await;
            let scan = self
                .rpc
                .call_within(
                    "scantxoutset",
                    json!(["start", [descriptor]]),
                    Some(UTXO_SCAN_TIMEOUT),
                )
                .await;
            if matches!(&scan, Err(BitcoinRpcError::Transport(t)) if t.is_timeout()) {
                // The node scans on after the answer is given up; stop it, or it refuses the
                // next payer's scan ("Scan already in progress").
                let _: BitcoinResult<Value> = self.rpc.call("scantxoutset", json!(["abort"])).await;
            }
            scan?
        };
        let scan: Scan = serde_json::from_str(text.get())
            .map_err(|e| BitcoinRpcError::Malformed(format!("scantxoutset: {e}")))?;
        let tip = self.rpc.block_count().await?;
        let mut coins = Vec::with_capacity(scan.unspents.len());
        for unspent in scan.unspents {
            // The PSBT writes the txid's bytes; refuse an answer that is not a txid here.
            if !decode_hex(&unspent.txid).is_ok_and(|b| b.len() == 32) {
                return Err(BitcoinRpcError::Malformed(format!(
                    "txid {:?}",
                    unspent.txid
                )));
            }
            let depth = (tip + 1).saturating_sub(unspent.height);
            // The UTXO set includes coinbase outputs that may not be spent yet (100 blocks).
            let previous = if depth < COINBASE_MATURITY || !psbt::is_segwit(script) {
                Some(self.raw_transaction(&unspent.txid, unspent.height).await?)
            } else {
                None
            };
            if depth < COINBASE_MATURITY && previous.as_deref().is_some_and(is_coinbase) {
                continue;
            }
            let previous_tx = previous.filter(|_| !psbt::is_segwit(script));
            coins.push(Coin {
                value_sat: satoshis(unspent.amount.get())?,
                txid: unspent.txid,
                vout: unspent.vout,
                script: script.to_vec(),
                previous_tx,
            });
        }
        Ok(coins)
    }

    async fn raw_transaction(&self, txid: &str, height: u64) -> BitcoinResult<Vec<u8>> {
        let block =
            self.rpc.block_hash(height).await?.ok_or_else(|| {
                BitcoinRpcError::Malformed(format!("no block at height {height}"))
            })?;
        let hex: String = self
            .rpc
            .call("getrawtransaction", json!([txid, false, block]))
            .await?;
        decode_hex(&hex)
    }

    /// The node's fee rate for confirmation within 6 blocks, in sat/vB; `None` when it has
    /// no estimate (a young or quiet chain).
    pub async fn fee_rate(&self) -> BitcoinResult<Option<u64>> {
        #[derive(Deserialize)]
        struct Estimate<'a> {
            #[serde(borrow)]
            feerate: Option<&'a RawValue>,
        }
        let text: Box<RawValue> = self.rpc.call("estimatesmartfee", json!([6])).await?;
        let estimate: Estimate = serde_json::from_str(text.get())
            .map_err(|e| BitcoinRpcError::Malformed(format!("estimatesmartfee: {e}")))?;
        // BTC per 1,000 vB to sat/vB, rounded up.
        estimate
            .feerate
            .map(|rate| satoshis(rate.get()).map(|per_kvb| per_kvb.div_ceil(1000).max(1)))
            .transpose()
    }

    /// The PSBT (base64) of a payment of `amount` satoshis from `from` to `to`, change back to
    /// `from`, at the node's fee rate or `fallback_rate` sat/vB. The outer error is the node's;
    /// the inner one says the payer's confirmed coins do not cover amount and fee.
    pub async fn payment_psbt(
        &self,
        from: &str,
        to: &str,
        amount: u64,
        fallback_rate: u64,
    ) -> BitcoinResult<Result<(String, Plan), Shortfall>> {
        let (Some(from_script), Some(to_script)) =
            (bitcoin_output_script(from), bitcoin_output_script(to))
        else {
            return Err(BitcoinRpcError::Malformed(
                "not a Bitcoin address".to_owned(),
            ));
        };
        let coins = self.spendable(&from_script).await?;
        let rate = self.fee_rate().await?.unwrap_or(fallback_rate);
        Ok(
            psbt::plan(coins, &to_script, amount, &from_script, rate).map(|plan| {
                let encoded = data_encoding::BASE64.encode(&psbt::psbt(&plan));
                (encoded, plan)
            }),
        )
    }

    fn read_block(&self, block: Block, watch: &Watch<'_>, found: &mut ScannedRange) {
        let hrp = self.network.deposit_hrp();
        for tx in &block.transactions {
            if watch.payments.contains(&tx.txid) {
                found.payments.push(Sighting {
                    tx_hash: tx.txid.clone(),
                    block_number: block.height,
                    block_hash: block.hash.clone(),
                });
            }
            for output in &tx.outputs {
                let Some(to) = segwit_address(&output.script, hrp) else {
                    continue;
                };
                if output.value_sat == 0 || !(watch.addresses)(&to) {
                    continue;
                }
                found.arrivals.push(Arrival {
                    token: BITCOIN_TOKEN.to_owned(),
                    to,
                    amount: u128::from(output.value_sat),
                    tx_hash: tx.txid.clone(),
                    // One transaction may pay an address in several outputs: each counts.
                    log_index: Some(u64::from(output.index)),
                    block_number: block.height,
                    block_hash: block.hash.clone(),
                });
            }
        }
        found.blocks.push(BlockRef {
            number: block.height,
            hash: block.hash,
            parent_hash: block.previous.unwrap_or_default(),
        });
    }
}
