//! Flows: creation, every state change (each in one transaction with its outbox events and
//! idempotent answer), the reads the API and the workers need, and idempotency keys.

use async_trait::async_trait;
use sluice_domain::transitions::Rejection;
use sluice_domain::{EnvironmentId, Flow, FlowId, Timestamp};

use crate::*;

#[async_trait]
pub trait FlowStore: EnvironmentStore {
    /// Stores a new flow and, in the same transaction, the idempotent answer that announced it.
    async fn insert_flow(&self, flow: &Flow, answer: Option<&IdempotentAnswer>) -> StoreResult<()>;

    async fn flow(&self, env: EnvironmentId, id: FlowId) -> StoreResult<Option<Flow>>;

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

    async fn list_flows(
        &self,
        env: EnvironmentId,
        query: &FlowQuery,
        now: Timestamp,
    ) -> StoreResult<Vec<Flow>>;

    /// The flows changed in `query`'s window, oldest change first (S4's `updatedSince`).
    async fn flows_updated(
        &self,
        env: EnvironmentId,
        query: &UpdatedQuery,
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

    /// [`FlowStore::transition`] with a deny-list check of `screening_keys` whose verdict `op`
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

    async fn claim_idempotency_key(&self, claim: &IdempotencyClaim) -> StoreResult<ClaimOutcome>;

    /// Stores an answer that carried no flow (400 or 422).
    async fn store_idempotent_answer(&self, answer: &IdempotentAnswer) -> StoreResult<()>;

    /// Gives a claimed key up without an answer (the request failed in a way that wrote
    /// nothing), so that a retry runs again.
    async fn release_idempotency_key(&self, key: &IdempotencyKeyRef) -> StoreResult<()>;

    /// Deletes answers older than `before`; returns how many.
    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64>;
}
