//! [`FlowStore`] on PostgreSQL: flow writes are group-committed (`batch`); the queries live
//! in `flows`, `reads` and `idempotency`.

use super::*;

#[async_trait]
impl FlowStore for PostgresStore {
    async fn insert_flow(&self, flow: &Flow, answer: Option<&IdempotentAnswer>) -> StoreResult<()> {
        flows::insert_flow(self, flow, answer).await
    }

    async fn flow(&self, env: EnvironmentId, id: FlowId) -> StoreResult<Option<Flow>> {
        let stopped = || {
            StoreError::Database(Box::new(std::io::Error::other(
                "the PostgreSQL flow readers have stopped",
            )))
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let read = reads::Read { env, id, reply };
        self.reads.send(read).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn list_flows(
        &self,
        env: EnvironmentId,
        query: &FlowQuery,
        now: Timestamp,
    ) -> StoreResult<Vec<Flow>> {
        flows::list(&self.pool, env, query, now).await
    }

    async fn flows_updated(
        &self,
        env: EnvironmentId,
        query: &UpdatedQuery,
    ) -> StoreResult<Vec<Flow>> {
        flows::updated(&self.pool, env, query).await
    }

    async fn transition(
        &self,
        env: EnvironmentId,
        id: FlowId,
        op: FlowOp,
    ) -> StoreResult<Result<Flow, Rejection>> {
        self.batched(env, id, Vec::new(), Box::new(move |flow, _| op(flow)))
            .await
    }

    async fn screened_transition(
        &self,
        env: EnvironmentId,
        id: FlowId,
        screening_keys: Vec<String>,
        op: ScreenedOp,
    ) -> StoreResult<Result<Flow, Rejection>> {
        self.batched(env, id, screening_keys, op).await
    }

    async fn overdue_flows(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<(EnvironmentId, FlowId)>> {
        flows::overdue(&self.pool, now, limit).await
    }

    async fn waiting_flows(&self, since: Timestamp) -> StoreResult<Vec<Flow>> {
        flows::waiting(&self.pool, since).await
    }

    async fn expired_deposit_flows(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Flow>> {
        flows::expired_deposit(&self.pool, now, limit).await
    }

    async fn count_flows_by_state(&self) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT execution_state, COUNT(*) AS n FROM flows GROUP BY execution_state",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("execution_state").map_err(db)?,
                    r.try_get("n").map_err(db)?,
                ))
            })
            .collect()
    }

    async fn flow_events(&self, id: FlowId) -> StoreResult<Vec<StoredEvent>> {
        flows::events(&self.pool, id).await
    }

    async fn claim_idempotency_key(&self, claim: &IdempotencyClaim) -> StoreResult<ClaimOutcome> {
        idempotency::claim(self, claim).await
    }

    async fn store_idempotent_answer(&self, answer: &IdempotentAnswer) -> StoreResult<()> {
        let mut tx = self.write().await?;
        idempotency::complete(&mut tx, answer).await?;
        tx.commit().await.map_err(db)
    }

    async fn release_idempotency_key(&self, key: &IdempotencyKeyRef) -> StoreResult<()> {
        let mut tx = self.write().await?;
        idempotency::release(&mut tx, key).await?;
        tx.commit().await.map_err(db)
    }

    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let done =
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1 AND state = 'done'")
                .bind(before.0)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(done.rows_affected())
    }
}
