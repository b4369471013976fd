//! [`FlowStore`] on SQLite: flow writes are group-committed by the writer task (`batch`,
//! `native_write`); reads of recently written flows may be answered by `flow_cache`.

use super::*;

#[async_trait]
impl FlowStore for SqliteStore {
    async fn insert_flow(&self, flow: &Flow, answer: Option<&IdempotentAnswer>) -> StoreResult<()> {
        let (reply, answer_rx) = tokio::sync::oneshot::channel();
        let job = batch::Job::Insert {
            flow: Box::new(flow.clone()),
            answer: answer.cloned(),
            reply,
        };
        self.batch.send(job).await.map_err(|_| closed())?;
        answer_rx.await.map_err(|_| closed())?
    }

    async fn flow(&self, env: EnvironmentId, id: FlowId) -> StoreResult<Option<Flow>> {
        if let Some(copy) = flow_cache::committed_copy(&self.committed, env, id) {
            return Ok(copy.map(|c| c.flow.clone()));
        }
        self.native.with(|conn| native::load_flow(conn, env, id))
    }

    async fn payer_view_json(
        &self,
        env: EnvironmentId,
        id: FlowId,
        now: Timestamp,
    ) -> StoreResult<Option<bytes::Bytes>> {
        if let Some(copy) = flow_cache::committed_copy(&self.committed, env, id) {
            return Ok(copy.map(|c| c.payer_json(now)));
        }
        let flow = self.native.with(|conn| native::load_flow(conn, env, id))?;
        Ok(flow.map(|f| payer_json(&f.observed(now).payer_view())))
    }

    async fn list_flows(
        &self,
        env: EnvironmentId,
        query: &FlowQuery,
        now: Timestamp,
    ) -> StoreResult<Vec<Flow>> {
        flows::list(&self.reader, env, query, now).await
    }

    async fn flows_updated(
        &self,
        env: EnvironmentId,
        query: &UpdatedQuery,
    ) -> StoreResult<Vec<Flow>> {
        flows::updated(&self.reader, env, query).await
    }

    async fn transition(
        &self,
        env: EnvironmentId,
        id: FlowId,
        op: FlowOp,
    ) -> StoreResult<Result<Flow, Rejection>> {
        let op: ScreenedOp = Box::new(move |flow, _| op(flow));
        self.screened_transition(env, id, Vec::new(), op).await
    }

    /// The deny list is read by the writer inside the batch's transaction: no read
    /// transaction of its own, and the verdict cannot go stale before the write.
    async fn screened_transition(
        &self,
        env: EnvironmentId,
        id: FlowId,
        screening_keys: Vec<String>,
        op: ScreenedOp,
    ) -> StoreResult<Result<Flow, Rejection>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = batch::Job::Transition {
            env,
            id,
            screening_keys,
            op,
            reply,
        };
        self.batch.send(job).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    async fn overdue_flows(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<(EnvironmentId, FlowId)>> {
        flows::overdue(&self.reader, now, limit).await
    }

    async fn waiting_flows(&self, since: Timestamp) -> StoreResult<Vec<Flow>> {
        flows::waiting(&self.reader, since).await
    }

    async fn expired_deposit_flows(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Flow>> {
        flows::expired_deposit(&self.reader, now, limit).await
    }

    async fn count_flows_by_state(&self) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT execution_state, COUNT(*) AS n FROM flows GROUP BY execution_state",
        )
        .fetch_all(&self.reader)
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
        flows::events(&self.reader, id).await
    }

    async fn claim_idempotency_key(&self, claim: &IdempotencyClaim) -> StoreResult<ClaimOutcome> {
        self.key_job(idempotency::KeyOp::Claim(claim.clone())).await
    }

    async fn store_idempotent_answer(&self, answer: &IdempotentAnswer) -> StoreResult<()> {
        let op = idempotency::KeyOp::Complete(answer.clone());
        self.key_job(op).await.map(drop)
    }

    async fn release_idempotency_key(&self, key: &IdempotencyKeyRef) -> StoreResult<()> {
        let op = idempotency::KeyOp::Release(key.clone());
        self.key_job(op).await.map(drop)
    }

    async fn purge_idempotency_keys(&self, before: Timestamp) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let done =
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?1 AND state = 'done'")
                .bind(before.0)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(done.rows_affected())
    }
}
