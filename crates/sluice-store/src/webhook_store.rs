//! Webhook endpoints and their delivery queue: leased claims that hold across instances and
//! the record of each attempt.

use async_trait::async_trait;
use sluice_domain::{EnvironmentId, Timestamp};

use crate::*;

#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
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
}
