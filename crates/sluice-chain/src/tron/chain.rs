//! One configured TRON chain: its network's identity (block 0's ID) and the block scan. Each
//! block costs two calls whatever is watched (spec §10.2): `getblockbynum` for TRX transfers
//! and the watched payments, `gettransactioninfobyblocknum` for TRC-20 `Transfer` logs of the
//! configured tokens. Matching is in memory, on base58 addresses.

use std::time::Duration;

use super::TRX_TOKEN;
use super::address::TronAddress;
use super::rpc::{Block, TransactionInfo, TronResult, TronRpc};
use crate::erc20::TRANSFER_TOPIC;
use crate::family::{Arrival, BlockRef, ScannedRange, Sighting, Watch};

/// Block 0's ID on TRON's public networks, by chain ID (spec §10).
pub fn known_genesis(chain_id: &str) -> Option<&'static str> {
    match chain_id {
        "728126428" => Some("00000000000000001ebf88508a03865c71d452e25f4d51194196a1d22b6653dc"),
        "2494104990" => Some("0000000000000000de1aa88295e1fcf982742f773e0419c5a9c134c994a9059e"),
        "3448148188" => Some("0000000000000000d698d4192c56cb6be724a558448e2684802de4d6cd8690dc"),
        _ => None,
    }
}

/// The fee limit of a TRC-20 payment when none is configured: 100 TRX, in sun (spec §10.2).
pub const DEFAULT_FEE_LIMIT_SUN: i64 = 100_000_000;

pub struct TronChain {
    rpc: TronRpc,
    /// The most TRX (sun) a payer's TRC-20 transfer may burn for energy (`fee_limit_sun`).
    pub(super) fee_limit_sun: i64,
}

impl TronChain {
    pub fn new(url: &str, api_key: Option<String>, fee_limit_sun: i64, timeout: Duration) -> Self {
        Self {
            rpc: TronRpc::new(url, api_key, timeout),
            fee_limit_sun,
        }
    }

    pub fn rpc(&self) -> &TronRpc {
        &self.rpc
    }

    /// Block 0's ID: what identifies a TRON network (the chain ID is its last four bytes).
    pub async fn genesis_id(&self) -> TronResult<String> {
        let block = self.rpc.block(0).await?;
        Ok(block.map(|b| b.block_id).unwrap_or_default())
    }

    /// Blocks `from..=to`, each read once; `None` when one of them does not exist yet.
    pub async fn scan(
        &self,
        from: u64,
        to: u64,
        watch: &Watch<'_>,
    ) -> TronResult<Option<ScannedRange>> {
        let mut found = ScannedRange::default();
        for number in from..=to {
            let Some(block) = self.rpc.block(number).await? else {
                return Ok(None);
            };
            let infos = self.rpc.block_infos(number).await?;
            read_block(&block, &infos, watch, &mut found);
        }
        Ok(Some(found))
    }
}

/// What one block holds for `watch`.
pub fn read_block(
    block: &Block,
    infos: &[TransactionInfo],
    watch: &Watch<'_>,
    found: &mut ScannedRange,
) {
    let number = block.block_header.raw_data.number;
    let hash = block.block_id.to_ascii_lowercase();
    found.blocks.push(BlockRef {
        number,
        hash: hash.clone(),
        parent_hash: block.block_header.raw_data.parent_hash.to_ascii_lowercase(),
    });
    let arrival = |token: String, to: String, amount, tx_hash: &str, log_index| Arrival {
        token,
        to,
        amount,
        tx_hash: tx_hash.to_ascii_lowercase(),
        log_index,
        block_number: number,
        block_hash: hash.clone(),
    };
    for tx in &block.transactions {
        let tx_id = tx.tx_id.to_ascii_lowercase();
        if watch.payments.contains(&tx_id) {
            found.payments.push(Sighting {
                tx_hash: tx_id.clone(),
                block_number: number,
                block_hash: hash.clone(),
            });
        }
        let succeeded = tx
            .ret
            .first()
            .is_none_or(|r| r.contract_ret.as_deref().is_none_or(|c| c == "SUCCESS"));
        let Some(contract) = tx.raw_data.contract.first() else {
            continue;
        };
        if !succeeded || contract.kind != "TransferContract" {
            continue;
        }
        let value = &contract.parameter.value;
        let to = value["to_address"].as_str().and_then(hex_address);
        let amount = value["amount"].as_u64();
        if let (Some(to), Some(amount)) = (to, amount) {
            let to = to.to_string();
            if (watch.addresses)(&to) {
                found.arrivals.push(arrival(
                    TRX_TOKEN.to_owned(),
                    to,
                    u128::from(amount),
                    &tx_id,
                    None,
                ));
            }
        }
    }
    let mut log_index = 0u64;
    for info in infos {
        let succeeded = info.result.is_none() && info.receipt.result.as_deref() == Some("SUCCESS");
        for log in &info.log {
            let index = log_index;
            log_index += 1;
            if !succeeded {
                continue;
            }
            let Some((token, _, to, amount)) = token_transfer(log) else {
                continue;
            };
            let token = token.to_string();
            let to = to.to_string();
            if watch.tokens.contains(&token) && (watch.addresses)(&to) {
                found
                    .arrivals
                    .push(arrival(token, to, amount, &info.id, Some(index)));
            }
        }
    }
}

/// `transfer(to, amount)` of a TRC-20 token: Ethereum's ABI, with the address's 20 bytes.
pub fn transfer_data(to: &TronAddress, amount: u128) -> Vec<u8> {
    let to = format!("0x{}", data_encoding::HEXLOWER.encode(&to.evm_bytes()));
    let calldata = crate::erc20::transfer_calldata(&to, amount);
    data_encoding::HEXLOWER
        .decode(calldata.trim_start_matches("0x").as_bytes())
        .expect("the calldata is hex")
}

/// A `Transfer(from, to, value)` log: the token contract, sender, recipient and amount.
pub fn token_transfer(
    log: &super::rpc::Log,
) -> Option<(TronAddress, TronAddress, TronAddress, u128)> {
    let topic = TRANSFER_TOPIC.trim_start_matches("0x");
    if log.topics.len() != 3 || !log.topics[0].eq_ignore_ascii_case(topic) {
        return None;
    }
    let token = TronAddress::from_evm(hex20(&log.address)?);
    let word = |topic: &str| -> Option<TronAddress> {
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(topic.as_bytes())
            .ok()?;
        Some(TronAddress::from_evm(bytes.get(12..32)?.try_into().ok()?))
    };
    let (from, to) = (word(&log.topics[1])?, word(&log.topics[2])?);
    let data = data_encoding::HEXLOWER_PERMISSIVE
        .decode(log.data.as_bytes())
        .ok()?;
    if data.len() != 32 || data[..16].iter().any(|&b| b != 0) {
        return None; // more than 128 bits: no real token amount
    }
    let amount = u128::from_be_bytes(data[16..].try_into().ok()?);
    Some((token, from, to, amount))
}

/// `41…` hex (21 bytes) as the API spells addresses.
pub fn hex_address(text: &str) -> Option<TronAddress> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .ok()?;
    (bytes.first() == Some(&super::address::PREFIX))
        .then(|| bytes.try_into().ok().map(TronAddress))
        .flatten()
}

/// 20 bytes of hex, with or without `41` in front (logs leave it out).
fn hex20(text: &str) -> Option<[u8; 20]> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .ok()?;
    match bytes.len() {
        20 => bytes.try_into().ok(),
        21 if bytes[0] == super::address::PREFIX => bytes[1..].try_into().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
