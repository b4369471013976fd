//! What the chain watcher keeps in the database: the deposit transfers and wallet-payment
//! transactions a scan saw and has not yet decided on, each chain's scan cursor, and the
//! lease that makes one instance the scanner. See the server's `workers::chain_watch`.

use sluice_domain::deposit_transfer::ObservedTransfer;
use sluice_domain::{EnvironmentId, FlowId, Timestamp};

/// A transfer to a deposit address, seen in a block that may not be final yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenTransfer {
    pub environment_id: EnvironmentId,
    pub flow_id: FlowId,
    pub transfer: ObservedTransfer,
    /// The hash of the block it was seen in, re-checked before it is counted.
    pub block_hash: String,
}

/// Where a chain's scan stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanCursor {
    /// The next block to scan.
    pub next_block: u64,
    /// The hash of block `next_block - 1` as scanned; `None` after a rewind.
    pub last_hash: Option<String>,
}

/// A deposit address the watcher matches transfers against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedAddress {
    pub environment_id: EnvironmentId,
    pub flow_id: FlowId,
    /// As allocated: EIP-55 on EVM, lower-case bech32 on Bitcoin, base58 on TRON.
    pub address: String,
    pub created_at: Timestamp,
}

/// A native transfer has no log index; the database stores it as -1 so that the key
/// (chain, transaction, index) stays a plain primary key.
pub fn encode_log_index(index: Option<u64>) -> i64 {
    index.map_or(-1, |i| i64::try_from(i).unwrap_or(i64::MAX))
}

pub fn decode_log_index(stored: i64) -> Option<u64> {
    u64::try_from(stored).ok()
}

/// Block numbers are stored as signed 64-bit integers.
pub fn encode_block(number: u64) -> i64 {
    i64::try_from(number).unwrap_or(i64::MAX)
}

pub fn decode_block(stored: i64) -> Result<u64, crate::StoreError> {
    u64::try_from(stored).map_err(|_| crate::StoreError::Corrupt(format!("block {stored}")))
}

pub fn decode_amount(stored: &str) -> Result<u128, crate::StoreError> {
    stored
        .parse()
        .map_err(|_| crate::StoreError::Corrupt(format!("amount {stored:?}")))
}

/// A broadcast wallet payment's transaction, found in a block that may not be final yet. A
/// transaction is sighted for one flow only, ever (the key is chain and hash, and a decided
/// sighting is kept), so one transfer can never settle two flows that report the same hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSighting {
    pub environment_id: EnvironmentId,
    pub flow_id: FlowId,
    pub tx_hash: String,
    pub block_number: u64,
    /// Re-checked against the canonical chain before the verdict.
    pub block_hash: String,
}
