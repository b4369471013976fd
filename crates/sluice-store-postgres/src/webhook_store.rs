//! [`WebhookStore`] on PostgreSQL; the queries live in `webhooks`.

use super::*;

#[async_trait]
impl WebhookStore for PostgresStore {
    async fn create_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        ping: &Delivery,
    ) -> StoreResult<()> {
        webhooks::create_endpoint(self, endpoint, ping).await
    }

    async fn endpoints(&self, env: EnvironmentId) -> StoreResult<Vec<WebhookEndpoint>> {
        webhooks::endpoints(self, env, None).await
    }

    async fn endpoint(&self, env: EnvironmentId, id: &str) -> StoreResult<Option<WebhookEndpoint>> {
        Ok(webhooks::endpoints(self, env, Some(id)).await?.pop())
    }

    async fn update_endpoint(&self, endpoint: &WebhookEndpoint) -> StoreResult<()> {
        webhooks::update_endpoint(self, endpoint).await
    }

    async fn delete_endpoint(&self, env: EnvironmentId, id: &str) -> StoreResult<bool> {
        webhooks::delete_endpoint(self, env, id).await
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limits: ClaimLimits,
    ) -> StoreResult<Vec<Delivery>> {
        webhooks::claim(self, now, lease_until, limits).await
    }

    async fn record_attempt(
        &self,
        delivery_id: &str,
        attempt: &Attempt,
        outcome: &AttemptOutcome,
    ) -> StoreResult<()> {
        webhooks::record_attempt(self, delivery_id, attempt, outcome).await
    }

    async fn deliveries(
        &self,
        env: EnvironmentId,
        endpoint_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<(Delivery, Vec<Attempt>)>> {
        webhooks::deliveries(self, env, endpoint_id, limit).await
    }

    async fn redeliver(
        &self,
        env: EnvironmentId,
        delivery_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Delivery>> {
        webhooks::redeliver(self, env, delivery_id, now).await
    }
}
