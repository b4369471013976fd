//! The storage contract. The server depends only on [`Store`]; each backend (SQLite,
//! PostgreSQL) is its own crate with its own migrations, and one shared test suite runs
//! against both. Every method that changes a flow takes the complete change (new row, token
//! hash, outbox events) so that a backend can write it in one transaction.
#![forbid(unsafe_code)]

mod codec;
mod deposit;
mod deposit_watch;
mod exchanges;
mod records;
mod webhooks;

pub use codec::*;

use async_trait::async_trait;
use sluice_domain::deposit_key::ChainFamily;
use sluice_domain::transitions::{Rejection, Transition};
use sluice_domain::{ChainName, EnvironmentId, Flow, FlowId, Timestamp, TokenHash};

pub use deposit::*;
pub use deposit_watch::*;
pub use exchanges::*;
pub use records::*;
pub use webhooks::*;

pub type StoreResult<T> = Result<T, StoreError>;

/// A flow's JSON, as the answer to a payer route carries it.
pub fn payer_json(payer_view: &Flow) -> bytes::Bytes {
    serde_json::to_vec(payer_view)
        .expect("a flow always serialises")
        .into()
}

/// An operation on one flow, run by the store against the row as it is inside the write
/// transaction (locked), so its decision cannot be overtaken by a concurrent writer.
/// `None` means the flow does not exist in that environment.
pub type FlowOp = Box<dyn FnOnce(Option<&Flow>) -> Result<Transition, Rejection> + Send>;

/// A [`FlowOp`] that is also told whether any of the request's screening keys is on the
/// environment's deny list.
pub type ScreenedOp = Box<dyn FnOnce(Option<&Flow>, bool) -> Result<Transition, Rejection> + Send>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Conflict(String),
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The backend's name, for logs and test output.
    fn backend(&self) -> &'static str;

    /// Cheap round trip, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;

    // --- environments and API tokens -------------------------------------------------------

    async fn create_environment(
        &self,
        env: &Environment,
        token: &ApiTokenRecord,
    ) -> StoreResult<()>;

    /// Creates `env` only when no environment exists yet; atomic across instances.
    async fn create_first_environment(
        &self,
        env: &Environment,
        token: &ApiTokenRecord,
    ) -> StoreResult<bool>;

    async fn environment(&self, id: EnvironmentId) -> StoreResult<Option<Environment>>;

    /// Replaces the environment's origins and enabled chains.
    async fn update_environment(&self, env: &Environment) -> StoreResult<()>;

    /// Adds (`denied = true`) or removes an address from the environment's deny list.
    async fn set_denied(
        &self,
        env: EnvironmentId,
        screening_key: &str,
        denied: bool,
    ) -> StoreResult<()>;

    /// Whether any of these screening keys is on the environment's deny list.
    async fn any_denied(&self, env: EnvironmentId, screening_keys: &[String]) -> StoreResult<bool>;

    /// Stores the environment's deposit key for `key.family`, replacing an earlier one; the
    /// stored next index is kept (`key.next_index` is ignored), so no index is used twice.
    async fn set_deposit_key(&self, key: &DepositKeyRecord) -> StoreResult<()>;

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

    /// Stores an environment's exchange settings, replacing earlier ones for that provider.
    async fn set_exchange(&self, exchange: &ExchangeRecord) -> StoreResult<()>;

    /// Every environment's exchange settings (read by a server at start).
    async fn all_exchanges(&self) -> StoreResult<Vec<ExchangeRecord>>;

    // --- the chain watcher (see `deposit_watch`) -------------------------------------------

    /// Deposit addresses of `family` in every environment allocated at or after `since`.
    async fn watched_addresses(
        &self,
        family: ChainFamily,
        since: Timestamp,
    ) -> StoreResult<Vec<WatchedAddress>>;

    /// Takes the named lease for `holder` until `until` if it is free, expired or already
    /// `holder`'s; returns whether `holder` holds it now. Atomic across instances.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool>;

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

    async fn create_api_token(&self, token: &ApiTokenRecord) -> StoreResult<()>;

    async fn api_token(&self, hash: &TokenHash) -> StoreResult<Option<ApiTokenRecord>>;

    /// Revokes every live token with this prefix; returns how many.
    async fn revoke_api_tokens(&self, prefix: &str, now: Timestamp) -> StoreResult<u64>;

    // --- flows ---------------------------------------------------------------------------

    /// Stores a new flow and, in the same transaction, the idempotent answer that announced it.
    async fn insert_flow(&self, flow: &Flow, answer: Option<&IdempotentAnswer>) -> StoreResult<()>;

    async fn flow(&self, env: EnvironmentId, id: FlowId) -> StoreResult<Option<Flow>>;

    async fn list_flows(
        &self,
        env: EnvironmentId,
        query: &FlowQuery,
        now: Timestamp,
    ) -> StoreResult<Vec<Flow>>;

    /// Runs `op` against the locked row and, when it permits the change, writes the new row
    /// and its events in the same transaction. The outer error is the database's; the inner
    /// one is the domain's refusal, after which nothing was written.
    async fn transition(
        &self,
        env: EnvironmentId,
        id: FlowId,
        op: FlowOp,
    ) -> StoreResult<Result<Flow, Rejection>>;

    /// [`Store::transition`] with a deny-list check of `screening_keys` whose verdict `op`
    /// receives. By default the list is read first; a backend may fold the check into the
    /// write's own transaction (PostgreSQL does, to save a round trip per attach).
    async fn screened_transition(
        &self,
        env: EnvironmentId,
        id: FlowId,
        screening_keys: Vec<String>,
        op: ScreenedOp,
    ) -> StoreResult<Result<Flow, Rejection>> {
        let hit = !screening_keys.is_empty() && self.any_denied(env, &screening_keys).await?;
        self.transition(env, id, Box::new(move |flow| op(flow, hit)))
            .await
    }

    /// The payer view (spec P1) of a flow as JSON, as a read at `now` would show it. A backend
    /// that keeps the flows it wrote may answer from memory; by default the flow is read and
    /// serialised.
    async fn payer_view_json(
        &self,
        env: EnvironmentId,
        id: FlowId,
        now: Timestamp,
    ) -> StoreResult<Option<bytes::Bytes>> {
        let flow = self.flow(env, id).await?;
        Ok(flow.map(|f| payer_json(&f.observed(now).payer_view())))
    }

    /// Flows still stored in a pre-broadcast state whose `expiresAt` has passed.
    async fn overdue_flows(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<(EnvironmentId, FlowId)>>;

    /// Flows waiting on the chain (`broadcasted`, `source_detected`) last changed at or
    /// after `since`, across environments: how the chain watcher learns of newly broadcast
    /// payments without re-reading the ones it already watches.
    async fn waiting_flows(&self, since: Timestamp) -> StoreResult<Vec<Flow>>;

    /// Deposit-address flows still waiting on the chain whose `expiresAt` is at or before
    /// `now`, soonest first: the candidates for `underpaid`. Wallet payments waiting beside
    /// them never take their places.
    async fn expired_deposit_flows(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Flow>>;

    /// How many flows are stored in each execution state (for metrics).
    async fn count_flows_by_state(&self) -> StoreResult<Vec<(String, i64)>>;

    /// The outbox events of one flow, oldest first.
    async fn flow_events(&self, id: FlowId) -> StoreResult<Vec<StoredEvent>>;

    // --- webhooks ------------------------------------------------------------------------

    /// Stores a new endpoint and its `ping` delivery together.
    async fn create_endpoint(&self, endpoint: &WebhookEndpoint, ping: &Delivery)
    -> StoreResult<()>;

    async fn endpoints(&self, env: EnvironmentId) -> StoreResult<Vec<WebhookEndpoint>>;

    async fn endpoint(&self, env: EnvironmentId, id: &str) -> StoreResult<Option<WebhookEndpoint>>;

    /// Replaces URL, event types, enabled flag and secret version.
    async fn update_endpoint(&self, endpoint: &WebhookEndpoint) -> StoreResult<()>;

    /// Deletes the endpoint; its pending deliveries are dropped. Returns whether it existed.
    async fn delete_endpoint(&self, env: EnvironmentId, id: &str) -> StoreResult<bool>;

    /// Leases due pending deliveries until `lease_until`, oldest due first, within `limits`:
    /// at most `limits.total`, and never so many that an endpoint has more than
    /// `limits.per_endpoint` leases live at `now` (counting those of other instances). Safe
    /// across instances: a leased delivery is invisible to other claimers until its lease
    /// ends, and two claims never both fill the same endpoint's room.
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limits: ClaimLimits,
    ) -> StoreResult<Vec<Delivery>>;

    /// Records an attempt and its outcome, releasing the lease.
    async fn record_attempt(
        &self,
        delivery_id: &str,
        attempt: &Attempt,
        outcome: &AttemptOutcome,
    ) -> StoreResult<()>;

    /// An endpoint's deliveries, newest first, each with its attempts (oldest first).
    async fn deliveries(
        &self,
        env: EnvironmentId,
        endpoint_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<(Delivery, Vec<Attempt>)>>;

    /// Puts a delivery back in the queue, due now. Returns it, or `None` if unknown.
    async fn redeliver(
        &self,
        env: EnvironmentId,
        delivery_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Delivery>>;

    // --- idempotency ---------------------------------------------------------------------

    async fn claim_idempotency_key(&self, claim: &IdempotencyClaim) -> StoreResult<ClaimOutcome>;

    /// Stores an answer that carried no flow (400 or 422).
    async fn store_idempotent_answer(&self, answer: &IdempotentAnswer) -> StoreResult<()>;

    /// Gives a claimed key up without an answer (the request failed in a way that wrote
    /// nothing), so that a retry runs again.
    async fn release_idempotency_key(&self, key: &IdempotencyKeyRef) -> StoreResult<()>;

    /// Deletes answers older than `before`; returns how many.
    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64>;
}
