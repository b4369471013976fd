//! The PostgreSQL backend, for running several stateless Sluice instances on one database.
//! Every write that decides on a flow's current state reads it with `SELECT … FOR UPDATE`
//! inside its transaction, so instances serialise on the row, not in memory. Commits are
//! durable: each connection insists on `synchronous_commit = on`, whatever the server's
//! default.
#![forbid(unsafe_code)]

mod batch;
mod deposit_keys;
mod deposit_watch;
mod exchanges;
mod flows;
mod idempotency;
mod payment_watch;
mod reads;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sluice_domain::transitions::Rejection;
use sluice_domain::{EnvironmentId, Flow, FlowId, Timestamp, TokenHash};
use sluice_store::*;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row, Transaction};

pub(crate) fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(Box::new(e))
}

#[derive(Clone)]
pub struct PostgresStore {
    pub(crate) pool: PgPool,
    /// The batching writers for transitions (see `batch.rs`).
    batch: tokio::sync::mpsc::Sender<batch::Job>,
    /// The batching readers for flows by ID (see `reads.rs`).
    reads: tokio::sync::mpsc::Sender<reads::Read>,
}

impl PostgresStore {
    /// Hands a transition to the batching writers and waits for its committed outcome.
    async fn batched(
        &self,
        env: EnvironmentId,
        id: FlowId,
        screening_keys: Vec<String>,
        op: ScreenedOp,
    ) -> StoreResult<Result<Flow, Rejection>> {
        let stopped = || {
            StoreError::Database(Box::new(std::io::Error::other(
                "the PostgreSQL batch writers have stopped",
            )))
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = batch::Job {
            env,
            id,
            screening_keys,
            op,
            reply,
        };
        self.batch.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`) and applies pending migrations (sqlx takes an
    /// advisory lock, so instances starting together migrate once).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(db)?
            .options([("synchronous_commit", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        let batch = batch::spawn(pool.clone());
        let reads = reads::spawn(pool.clone());
        Ok(Self { pool, batch, reads })
    }

    pub(crate) async fn write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db)
    }
}

fn environment_from_row(row: &sqlx::postgres::PgRow) -> StoreResult<Environment> {
    Ok(Environment {
        id: EnvironmentId::from_uuid(row.try_get("id").map_err(db)?),
        name: row.try_get("name").map_err(db)?,
        allowed_origins: decode_origins(row.try_get("allowed_origins").map_err(db)?)?,
        enabled_chains: decode_chains(row.try_get("enabled_chains").map_err(db)?)?,
        created_at: Timestamp(row.try_get("created_at").map_err(db)?),
    })
}

async fn insert_environment(
    tx: &mut Transaction<'static, Postgres>,
    env: &Environment,
    token: &ApiTokenRecord,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO environments (id, name, allowed_origins, enabled_chains, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(env.id.as_uuid())
        .bind(&env.name)
        .bind(encode_origins(&env.allowed_origins))
        .bind(encode_chains(env.enabled_chains.as_deref()))
        .bind(env.created_at.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    insert_token(tx, token).await
}

async fn insert_token(conn: &mut sqlx::PgConnection, token: &ApiTokenRecord) -> StoreResult<()> {
    sqlx::query("INSERT INTO api_tokens (token_hash, environment_id, prefix, scopes, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(token.hash.0.as_slice())
        .bind(token.environment_id.as_uuid())
        .bind(&token.prefix)
        .bind(encode_scopes(&token.scopes))
        .bind(token.created_at.0)
        .bind(token.revoked_at.map(|t| t.0))
        .execute(conn)
        .await
        .map_err(db)?;
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn create_environment(
        &self,
        env: &Environment,
        token: &ApiTokenRecord,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_environment(&mut tx, env, token).await?;
        tx.commit().await.map_err(db)
    }

    async fn create_first_environment(
        &self,
        env: &Environment,
        token: &ApiTokenRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        // Two instances starting on an empty database must not both create one.
        sqlx::query("LOCK TABLE environments IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM environments)")
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if exists {
            return Ok(false);
        }
        insert_environment(&mut tx, env, token).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn environment(&self, id: EnvironmentId) -> StoreResult<Option<Environment>> {
        let row = sqlx::query("SELECT * FROM environments WHERE id = $1")
            .bind(id.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(environment_from_row).transpose()
    }

    async fn update_environment(&self, env: &Environment) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE environments SET name = $2, allowed_origins = $3, enabled_chains = $4 WHERE id = $1")
            .bind(env.id.as_uuid())
            .bind(&env.name)
            .bind(encode_origins(&env.allowed_origins))
            .bind(encode_chains(env.enabled_chains.as_deref()))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn set_denied(&self, env: EnvironmentId, key: &str, denied: bool) -> StoreResult<()> {
        let sql = if denied {
            "INSERT INTO deny_list (environment_id, screening_key) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM deny_list WHERE environment_id = $1 AND screening_key = $2"
        };
        let mut tx = self.write().await?;
        sqlx::query(sql)
            .bind(env.as_uuid())
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn any_denied(&self, env: EnvironmentId, keys: &[String]) -> StoreResult<bool> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM deny_list WHERE environment_id = $1 AND screening_key = ANY($2))")
            .bind(env.as_uuid())
            .bind(keys)
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn set_deposit_key(&self, key: &DepositKeyRecord) -> StoreResult<()> {
        deposit_keys::set(self, key).await
    }

    async fn deposit_keys(&self, env: EnvironmentId) -> StoreResult<Vec<DepositKeyRecord>> {
        deposit_keys::list(self, env).await
    }

    async fn assign_deposit_address(
        &self,
        env: EnvironmentId,
        id: FlowId,
        chain: sluice_domain::ChainName,
        now: Timestamp,
    ) -> StoreResult<Result<Flow, Rejection>> {
        deposit_keys::assign(self, env, id, chain, now).await
    }

    async fn deposit_addresses(
        &self,
        env: EnvironmentId,
    ) -> StoreResult<Vec<DepositAddressRecord>> {
        deposit_keys::addresses(self, env).await
    }

    async fn set_exchange(&self, exchange: &ExchangeRecord) -> StoreResult<()> {
        exchanges::set(self, exchange).await
    }

    async fn all_exchanges(&self) -> StoreResult<Vec<ExchangeRecord>> {
        exchanges::all(self).await
    }

    async fn watched_addresses(
        &self,
        family: sluice_domain::deposit_key::ChainFamily,
        since: Timestamp,
    ) -> StoreResult<Vec<WatchedAddress>> {
        deposit_watch::watched_addresses(self, family, since).await
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool> {
        deposit_watch::acquire_lease(self, name, holder, now, until).await
    }

    async fn scan_cursor(&self, chain_id: &str) -> StoreResult<Option<ScanCursor>> {
        deposit_watch::scan_cursor(self, chain_id).await
    }

    async fn record_scan(
        &self,
        chain_id: &str,
        seen: &[SeenTransfer],
        sightings: &[PaymentSighting],
        cursor: &ScanCursor,
        now: Timestamp,
    ) -> StoreResult<()> {
        deposit_watch::record_scan(self, chain_id, seen, sightings, cursor, now).await
    }

    async fn record_sighting(
        &self,
        chain_id: &str,
        sighting: &PaymentSighting,
        now: Timestamp,
    ) -> StoreResult<()> {
        payment_watch::record(self, chain_id, sighting, now).await
    }

    async fn payment_sightings(&self, chain_id: &str) -> StoreResult<Vec<PaymentSighting>> {
        payment_watch::all(self, chain_id).await
    }

    async fn close_sighting(&self, chain_id: &str, tx_hash: &str) -> StoreResult<()> {
        payment_watch::decide(self, chain_id, tx_hash).await
    }

    async fn pending_transfers(
        &self,
        chain_id: &str,
        up_to_block: u64,
    ) -> StoreResult<Vec<SeenTransfer>> {
        deposit_watch::pending_transfers(self, chain_id, up_to_block).await
    }

    async fn has_pending_transfers(&self, flow_id: FlowId) -> StoreResult<bool> {
        deposit_watch::has_pending_transfers(self, flow_id).await
    }

    async fn mark_transfer_recorded(&self, chain_id: &str, seen: &SeenTransfer) -> StoreResult<()> {
        deposit_watch::mark_recorded(self, chain_id, seen).await
    }

    async fn rewind_scan(&self, chain_id: &str, from_block: u64) -> StoreResult<()> {
        deposit_watch::rewind_scan(self, chain_id, from_block).await
    }

    async fn create_api_token(&self, token: &ApiTokenRecord) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_token(&mut tx, token).await?;
        tx.commit().await.map_err(db)
    }

    async fn api_token(&self, hash: &TokenHash) -> StoreResult<Option<ApiTokenRecord>> {
        let row = sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1")
            .bind(hash.0.as_slice())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(ApiTokenRecord {
            environment_id: EnvironmentId::from_uuid(row.try_get("environment_id").map_err(db)?),
            prefix: row.try_get("prefix").map_err(db)?,
            hash: decode_token_hash(row.try_get("token_hash").map_err(db)?)?,
            scopes: decode_scopes(row.try_get("scopes").map_err(db)?),
            created_at: Timestamp(row.try_get("created_at").map_err(db)?),
            revoked_at: row
                .try_get::<Option<i64>, _>("revoked_at")
                .map_err(db)?
                .map(Timestamp),
        }))
    }

    async fn revoke_api_tokens(&self, prefix: &str, now: Timestamp) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE prefix = $1 AND revoked_at IS NULL",
        )
        .bind(prefix)
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(done.rows_affected())
    }

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
