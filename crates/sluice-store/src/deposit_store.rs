//! Deposit keys and addresses, and the chain watcher's state: per-chain scan cursors, seen
//! transfers and payment sightings, each scan's findings stored with its cursor in one
//! transaction.

use async_trait::async_trait;
use sluice_domain::deposit_key::ChainFamily;
use sluice_domain::transitions::Rejection;
use sluice_domain::{ChainName, EnvironmentId, Flow, FlowId, Timestamp};

use crate::*;

#[async_trait]
pub trait DepositStore: Send + Sync + 'static {
    /// Stores the environment's deposit key for `key.family`, replacing an earlier one; the
    /// stored next index is kept (`key.next_index` is ignored), so no index is used twice.
    async fn set_deposit_key(&self, key: &DepositKeyRecord) -> StoreResult<()>;

    /// Moves the family's next derivation index up to `at_least` if it is below (never
    /// down), for a database restored from a backup older than the last address it handed
    /// out. Returns the next index now, or `None` when the environment has no key of that
    /// family.
    async fn raise_deposit_index(
        &self,
        env: EnvironmentId,
        family: ChainFamily,
        at_least: i64,
    ) -> StoreResult<Option<i64>>;

    /// The environment's deposit keys, one per chain family that has one.
    async fn deposit_keys(&self, env: EnvironmentId) -> StoreResult<Vec<DepositKeyRecord>>;

    /// Gives the flow its deposit address unless it has one: in one transaction, takes the
    /// environment's next derivation index for the family of `chain` (the chain the flow's
    /// quote pays on), records it, and
    /// stores the derived address on the flow. Never hands out an index twice, across any
    /// number of instances; a flow that has an address keeps it (no write).
    async fn assign_deposit_address(
        &self,
        env: EnvironmentId,
        id: FlowId,
        chain: ChainName,
        now: Timestamp,
    ) -> StoreResult<Result<Flow, Rejection>>;

    /// Every allocated deposit address of the environment, by family and index.
    async fn deposit_addresses(&self, env: EnvironmentId)
    -> StoreResult<Vec<DepositAddressRecord>>;

    /// Deposit addresses of `family` in every environment allocated at or after `since`.
    async fn watched_addresses(
        &self,
        family: ChainFamily,
        since: Timestamp,
    ) -> StoreResult<Vec<WatchedAddress>>;

    /// Where the chain's scan stands, if it has ever scanned.
    async fn scan_cursor(&self, chain_id: &str) -> StoreResult<Option<ScanCursor>>;

    /// Stores the deposit transfers and payment transactions seen in the scanned blocks and
    /// moves the cursor, in one transaction. What is already stored is left as it is (a
    /// transaction already sighted for another flow stays that flow's).
    async fn record_scan(
        &self,
        chain_id: &str,
        seen: &[SeenTransfer],
        sightings: &[PaymentSighting],
        cursor: &ScanCursor,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Stores one payment's transaction found outside a scan (mined before its hash was
    /// reported); as in `record_scan`, an existing sighting of the hash (pending or decided)
    /// wins.
    async fn record_sighting(
        &self,
        chain_id: &str,
        sighting: &PaymentSighting,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Every payment transaction sighted on the chain and not yet decided on.
    async fn payment_sightings(&self, chain_id: &str) -> StoreResult<Vec<PaymentSighting>>;

    /// The verdict on the sighted transaction is recorded (or its flow is final): it is no
    /// longer pending, and stays the claim of that flow so no other flow is ever paid by it.
    async fn close_sighting(&self, chain_id: &str, tx_hash: &str) -> StoreResult<()>;

    /// Seen transfers not yet recorded on their flows, in blocks up to `up_to_block`.
    async fn pending_transfers(
        &self,
        chain_id: &str,
        up_to_block: u64,
    ) -> StoreResult<Vec<SeenTransfer>>;

    /// Whether a transfer to the flow's address was seen and is not yet recorded on it.
    async fn has_pending_transfers(&self, flow_id: FlowId) -> StoreResult<bool>;

    /// The transfer is recorded on its flow; it is no longer pending.
    async fn mark_transfer_recorded(&self, chain_id: &str, seen: &SeenTransfer) -> StoreResult<()>;

    /// A reorg replaced block `from_block`: forgets the pending transfers and the payment
    /// sightings at or above it and moves the cursor back to it (if it was past it, forgetting the last hash), in one
    /// transaction.
    async fn rewind_scan(&self, chain_id: &str, from_block: u64) -> StoreResult<()>;
}
