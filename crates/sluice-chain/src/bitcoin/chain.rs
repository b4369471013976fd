//! One configured Bitcoin chain: its network's identity and the block scan. Each block is
//! read once (`getblockhash`, `getblock … 2`: two calls whatever is watched); outputs are
//! matched in memory, by script, against the watched deposit addresses, and transactions
//! against the watched payments by txid.

use std::time::Duration;

use sluice_domain::address::segwit_address;

use super::network::BitcoinNetwork;
use super::rpc::{BitcoinAuth, BitcoinResult, BitcoinRpc, Block};
use crate::family::{Arrival, BlockRef, ScannedRange, Sighting, Watch};

/// `tokenAddress` of bitcoin itself (spec §10.1).
pub const BITCOIN_TOKEN: &str = "bitcoin";

pub struct BitcoinChain {
    rpc: BitcoinRpc,
    network: BitcoinNetwork,
}

impl BitcoinChain {
    pub fn new(url: &str, auth: BitcoinAuth, network: BitcoinNetwork, timeout: Duration) -> Self {
        Self {
            rpc: BitcoinRpc::new(url, auth, timeout),
            network,
        }
    }

    pub fn rpc(&self) -> &BitcoinRpc {
        &self.rpc
    }

    /// The network the node serves, in the configured spelling (`bitcoin`, `regtest`, …),
    /// or the node's own name when it is none of them.
    pub async fn network_id(&self) -> BitcoinResult<String> {
        let chain = self.rpc.network().await?;
        Ok(BitcoinNetwork::from_node(&chain).map_or(chain, |n| n.as_str().to_owned()))
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
