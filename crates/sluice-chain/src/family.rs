//! The chain-family boundary: everything the server needs from a family of chains (EVM
//! today; Bitcoin, TRON and Solana next), and nothing more. Quoting, prepare, the settlement
//! of wallet payments and the deposit watch call only this trait, so a new family is one
//! module implementing it, with its own node client inside.
//!
//! Every method reads; none signs or holds a key. Errors are the node's (unreachable, an RPC
//! error, an answer that does not parse): the caller retries later, it never fails a flow on
//! one.

use std::collections::HashSet;

use async_trait::async_trait;
use sluice_domain::flow::SigningPayload;

use crate::RpcError;
use crate::settlement::{ExpectedTransfer, Mismatch};

pub type ChainResult<T> = Result<T, RpcError>;

/// What a block scan looks for: transfers to any watched address (deposit addresses), of
/// the native token or of one of `tokens`, and the watched wallet payments by hash. All
/// addresses and hashes in the family's canonical text (lower-case hex on EVM).
pub struct Watch<'a> {
    pub tokens: &'a [String],
    pub addresses: &'a (dyn Fn(&str) -> bool + Sync),
    pub payments: &'a HashSet<String>,
}

/// A block's identity, for reorg detection: the next block's parent must be this hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRef {
    pub number: u64,
    pub hash: String,
    pub parent_hash: String,
}

/// A transfer into a watched address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// The family's native-token sentinel, or the token's contract.
    pub token: String,
    pub to: String,
    pub amount: u128,
    pub tx_hash: String,
    /// The event's index for a token transfer; `None` for a native transfer.
    pub log_index: Option<u64>,
    pub block_number: u64,
    pub block_hash: String,
}

/// A watched payment's transaction, found in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub tx_hash: String,
    pub block_number: u64,
    pub block_hash: String,
}

/// What one scan of a block range found, with the blocks it read (in order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScannedRange {
    pub blocks: Vec<BlockRef>,
    pub arrivals: Vec<Arrival>,
    pub payments: Vec<Sighting>,
}

/// A mined payment judged against what the flow expects: where it is, and whether it pays
/// (the amount moved) or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub block_number: u64,
    pub block_hash: String,
    pub verdict: Result<u128, Mismatch>,
}

/// A direct payment to build the unsigned transaction for (prepare, spec §9).
#[derive(Debug, Clone)]
pub struct DirectPayment<'a> {
    /// The flow paid: a family whose transactions name their flow (Solana's reference key)
    /// derives that name from it.
    pub flow_id: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    /// `None` for the native token.
    pub token: Option<&'a str>,
    pub amount: u128,
    /// For the error naming the asset the payer lacks.
    pub token_symbol: &'a str,
    pub assert_balance_for_transfer_amount: bool,
    pub assert_balance_for_gas_cost: bool,
    /// When the quote expires, in milliseconds since the epoch: a family whose transactions
    /// carry an expiration (TRON) makes them expire no later.
    pub expires_at_ms: i64,
}

/// Why no signing payload was built.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Node(#[from] RpcError),
    #[error("the wallet holds {available} of {asset}, {required} needed")]
    Insufficient {
        asset: String,
        required: u128,
        available: u128,
    },
}

/// A family of chains as the server sees it. One value per configured chain.
#[async_trait]
pub trait ChainFamily: Send + Sync {
    /// The network the node serves, in the form `chain_id` is configured (spec §10.4).
    async fn network_id(&self) -> ChainResult<String>;

    /// A transaction hash as the family's blocks spell it (a payer may report another case).
    fn canonical_tx_hash(&self, hash: &str) -> String {
        hash.to_owned()
    }

    /// The newest block's number.
    async fn head(&self) -> ChainResult<u64>;

    /// The hash of the canonical block at `number`, if the chain has reached it.
    async fn block_hash(&self, number: u64) -> ChainResult<Option<String>>;

    /// Reads blocks `from..=to` once each and returns what `watch` asks for. `None` when a
    /// block of the range does not exist (the head moved back: a reorg). The number of node
    /// calls depends on the range, never on how many addresses or payments are watched.
    async fn scan(
        &self,
        from: u64,
        to: u64,
        watch: &Watch<'_>,
    ) -> ChainResult<Option<ScannedRange>>;

    /// Whether [`Self::scan`] asks for every watched payment by hash each time, wherever it
    /// landed (Solana's batched statuses), so a newly watched payment needs no
    /// [`Self::locate`] of its own.
    fn scan_finds_every_payment(&self) -> bool {
        false
    }

    /// Where the transaction is mined now, if it is. Asked once per newly watched payment,
    /// for one that may have landed in a block scanned before its hash was known.
    async fn locate(&self, tx_hash: &str) -> ChainResult<Option<Sighting>>;

    /// Whether the node holds the transaction unmined (in its mempool). Such a payment is
    /// waiting for a block, not lost: it never fails as not found while the node holds it.
    /// Families whose transactions land within seconds keep the default.
    async fn is_unmined(&self, _tx_hash: &str) -> ChainResult<bool> {
        Ok(false)
    }

    /// For a family whose transactions lapse at a block height (Solana: a recent blockhash is
    /// accepted for 150 blocks): asked when a payment is first watched, a height past which a
    /// transaction signed before now can no longer land. `None` (the default): transactions
    /// never lapse, and one never seen fails as not found after the tracker's window.
    async fn landing_deadline(&self) -> ChainResult<Option<u64>> {
        Ok(None)
    }

    /// The height a [`Self::landing_deadline`] is compared with: the newest block height the
    /// configured commitment has reached, so that "past it" is final.
    async fn settled_height(&self) -> ChainResult<u64> {
        self.head().await
    }

    /// The mined transaction judged against `expected`, with where it is now mined; `None`
    /// if it is not (or no longer) in the canonical chain.
    async fn check_payment(
        &self,
        tx_hash: &str,
        expected: &ExpectedTransfer<'_>,
    ) -> ChainResult<Option<Checked>>;

    /// The network fee of a direct transfer, in the native token's smallest unit.
    async fn transfer_fee(&self, native: bool) -> ChainResult<u128>;

    /// Decimals of the native token (18 for ETH).
    fn native_decimals(&self) -> u8;

    /// The unsigned transaction of a direct payment, balances asserted as asked.
    async fn signing_payload(
        &self,
        payment: &DirectPayment<'_>,
        chain: (sluice_domain::ChainName, &str),
    ) -> Result<SigningPayload, PrepareError>;

    /// `owner`'s balance of `token` (`None`: the native token), in smallest units.
    async fn balance(&self, owner: &str, token: Option<&str>) -> ChainResult<u128>;
}
