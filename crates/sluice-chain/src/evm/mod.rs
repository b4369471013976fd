//! The EVM family: any chain with Ethereum's JSON-RPC (Ethereum, Base, Polygon, anvil …).
//! `EvmChain` is its [`ChainFamily`]; the modules below are its node client, ERC-20 by hand,
//! block reading, transfer verification and the payment builder.

mod blocks;
pub mod erc20;
mod payment;
mod rpc;
mod verify;

use std::time::Duration;

use async_trait::async_trait;
use sluice_domain::ChainName;
use sluice_domain::flow::SigningPayload;

pub use blocks::{Block, TokenTransfer, ValueTransfer};
pub use rpc::{
    CallRequest, EvmRpc, Log, Receipt, RpcError, RpcResult, Transaction, hex_quantity,
    parse_quantity,
};
pub use verify::verify;

use crate::family::*;
use crate::settlement::ExpectedTransfer;

/// The native token of an EVM chain in `tokenAddress`: the zero address.
pub const NATIVE_TOKEN: &str = "0x0000000000000000000000000000000000000000";

/// Gas of a plain value transfer and of a typical ERC-20 `transfer`, for the fee shown with
/// a quote (prepare asks the node for the real figure).
const NATIVE_TRANSFER_GAS: u128 = 21_000;
const TOKEN_TRANSFER_GAS: u128 = 65_000;

/// One configured EVM chain.
pub struct EvmChain {
    rpc: EvmRpc,
    native_symbol: String,
}

impl EvmChain {
    pub fn new(rpc_url: &str, timeout: Duration, native_symbol: &str) -> Self {
        Self {
            rpc: EvmRpc::new(rpc_url, timeout),
            native_symbol: native_symbol.to_owned(),
        }
    }

    /// Collects what `watch` asks for from one block.
    fn read_block(block: Block, watch: &Watch<'_>, found: &mut ScannedRange) {
        for tx in block.transactions {
            if watch.payments.contains(&tx.tx_hash) {
                found.payments.push(Sighting {
                    tx_hash: tx.tx_hash.clone(),
                    block_number: block.number,
                    block_hash: block.hash.clone(),
                });
            }
            let Some(to) = tx.to.filter(|to| tx.value > 0 && (watch.addresses)(to)) else {
                continue;
            };
            found.arrivals.push(Arrival {
                token: NATIVE_TOKEN.to_owned(),
                to,
                amount: tx.value,
                tx_hash: tx.tx_hash,
                log_index: None,
                block_number: block.number,
                block_hash: block.hash.clone(),
            });
        }
        found.blocks.push(BlockRef {
            number: block.number,
            hash: block.hash,
            parent_hash: block.parent_hash,
        });
    }
}

#[async_trait]
impl ChainFamily for EvmChain {
    async fn network_id(&self) -> ChainResult<String> {
        Ok(self.rpc.chain_id().await?.to_string())
    }

    fn canonical_tx_hash(&self, hash: &str) -> String {
        hash.to_ascii_lowercase()
    }

    async fn head(&self) -> ChainResult<u64> {
        self.rpc.block_number().await
    }

    async fn block_hash(&self, number: u64) -> ChainResult<Option<String>> {
        self.rpc.block_hash(number).await
    }

    async fn scan(
        &self,
        from: u64,
        to: u64,
        watch: &Watch<'_>,
    ) -> ChainResult<Option<ScannedRange>> {
        let mut found = ScannedRange::default();
        for log in self.rpc.token_transfers(watch.tokens, from, to).await? {
            if (watch.addresses)(&log.to) {
                found.arrivals.push(Arrival {
                    token: log.token,
                    to: log.to,
                    amount: log.amount,
                    tx_hash: log.tx_hash,
                    log_index: Some(log.log_index),
                    block_number: log.block_number,
                    block_hash: log.block_hash,
                });
            }
        }
        for number in from..=to {
            let Some(block) = self.rpc.block_with_transactions(number).await? else {
                return Ok(None);
            };
            Self::read_block(block, watch, &mut found);
        }
        Ok(Some(found))
    }

    async fn locate(&self, tx_hash: &str) -> ChainResult<Option<Sighting>> {
        Ok(self.rpc.receipt(tx_hash).await?.map(|r| Sighting {
            tx_hash: tx_hash.to_owned(),
            block_number: r.block_number,
            block_hash: r.block_hash,
        }))
    }

    async fn check_payment(
        &self,
        tx_hash: &str,
        expected: &ExpectedTransfer<'_>,
    ) -> ChainResult<Option<Checked>> {
        let Some(receipt) = self.rpc.receipt(tx_hash).await? else {
            return Ok(None);
        };
        let Some(tx) = self.rpc.transaction(tx_hash).await? else {
            return Ok(None);
        };
        Ok(Some(Checked {
            block_number: receipt.block_number,
            block_hash: receipt.block_hash.clone(),
            verdict: verify(expected, &receipt, &tx),
        }))
    }

    async fn transfer_fee(&self, native: bool) -> ChainResult<u128> {
        let gas = if native {
            NATIVE_TRANSFER_GAS
        } else {
            TOKEN_TRANSFER_GAS
        };
        Ok(self.rpc.gas_price().await?.saturating_mul(gas))
    }

    fn native_decimals(&self) -> u8 {
        18
    }

    async fn signing_payload(
        &self,
        payment: &DirectPayment<'_>,
        chain: (ChainName, &str),
    ) -> Result<SigningPayload, PrepareError> {
        payment::build(&self.rpc, &self.native_symbol, payment, chain).await
    }

    async fn balance(&self, owner: &str, token: Option<&str>) -> ChainResult<u128> {
        match token {
            None => self.rpc.balance(owner).await,
            Some(token) => self.rpc.erc20_balance(token, owner).await,
        }
    }
}
