//! The SQLite backend: the embedded default. One write connection (SQLite has one writer at
//! a time anyway, and a single connection means no busy-waiting between our own writers) and
//! a pool of read connections beside it, which WAL mode lets run while the writer works.
//! Every answered write is durable on power loss: WAL with `synchronous=FULL`.
#![forbid(unsafe_code)]

mod batch;
mod deposit_keys;
mod deposit_watch;
mod exchanges;
mod flow_cache;
mod flows;
mod idempotency;
mod native;
mod native_write;
mod payment_watch;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sluice_domain::transitions::Rejection;
use sluice_domain::{EnvironmentId, Flow, FlowId, Timestamp, TokenHash};
use sluice_store::*;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

fn closed() -> StoreError {
    StoreError::Database(Box::new(std::io::Error::other(
        "the SQLite writer task has stopped",
    )))
}

pub(crate) fn db(e: sqlx::Error) -> StoreError {
    StoreError::Database(Box::new(e))
}

#[derive(Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    pub(crate) reader: SqlitePool,
    /// The group-commit writer for flow writes (see `batch.rs`).
    batch: tokio::sync::mpsc::Sender<batch::Job>,
    /// Connections for the hot point reads (see `native.rs`).
    native: std::sync::Arc<native::Readers>,
    /// The flows the writer committed (see `flow_cache.rs`).
    committed: flow_cache::Committed,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url` (`sqlite://path`) and applies
    /// pending migrations.
    /// A new file is created readable by its owner only; SQLite gives the `-wal` and `-shm`
    /// files the database file's permissions.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        create_private(options.get_filename())?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations")
            .run(&writer)
            .await
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        let path = options.get_filename().to_path_buf();
        let readers = std::thread::available_parallelism().map_or(4, |n| n.get() * 2) as u32;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers)
            .connect_with(options.read_only(true))
            .await
            .map_err(db)?;
        let committed = flow_cache::Committed::default();
        let batch = batch::spawn(&path, committed.clone())?;
        let native = std::sync::Arc::new(native::Readers::new(path.clone()));
        Ok(Self {
            writer,
            reader,
            batch,
            native,
            committed,
        })
    }

    /// A write transaction that takes SQLite's write lock up front, so that it can never fail
    /// half-way with "database is locked" when another process (the CLI) also writes.
    /// An idempotency-key job for the group-commit writer.
    async fn key_job(&self, op: idempotency::KeyOp) -> StoreResult<ClaimOutcome> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = batch::Job::Key { op, reply };
        self.batch.send(job).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    pub(crate) async fn write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }
}

async fn insert_environment(
    tx: &mut Transaction<'static, Sqlite>,
    env: &Environment,
    token: &ApiTokenRecord,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO environments (id, name, allowed_origins, enabled_chains, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(env.id.to_string())
        .bind(&env.name)
        .bind(encode_origins(&env.allowed_origins))
        .bind(encode_chains(env.enabled_chains.as_deref()))
        .bind(env.created_at.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    insert_token(tx, token).await
}

async fn insert_token(
    conn: &mut sqlx::SqliteConnection,
    token: &ApiTokenRecord,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO api_tokens (token_hash, environment_id, prefix, scopes, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(token.hash.0.as_slice())
        .bind(token.environment_id.to_string())
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
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
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
        self.native.with(|conn| native::load_environment(conn, id))
    }

    async fn update_environment(&self, env: &Environment) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE environments SET name = ?2, allowed_origins = ?3, enabled_chains = ?4 WHERE id = ?1")
            .bind(env.id.to_string())
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
            "INSERT INTO deny_list (environment_id, screening_key) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM deny_list WHERE environment_id = ?1 AND screening_key = ?2"
        };
        let mut tx = self.write().await?;
        sqlx::query(sql)
            .bind(env.to_string())
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn any_denied(&self, env: EnvironmentId, keys: &[String]) -> StoreResult<bool> {
        self.native.with(|conn| native::any_denied(conn, env, keys))
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
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = batch::Job::AssignDeposit {
            env,
            id,
            chain,
            now,
            reply,
        };
        self.batch.send(job).await.map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
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
        let row = sqlx::query("SELECT * FROM api_tokens WHERE token_hash = ?1")
            .bind(hash.0.as_slice())
            .fetch_optional(&self.reader)
            .await
            .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let env: String = row.try_get("environment_id").map_err(db)?;
        Ok(Some(ApiTokenRecord {
            environment_id: env
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("environment id {env:?}")))?,
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
            "UPDATE api_tokens SET revoked_at = ?2 WHERE prefix = ?1 AND revoked_at IS NULL",
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

/// Creates a missing database file with mode 0600 (it holds deposit keys and memos), before
/// SQLite would create it world-readable. An existing file is left as it is.
fn create_private(path: &std::path::Path) -> StoreResult<()> {
    let name = path.to_string_lossy();
    if name.is_empty() || name == ":memory:" || path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Database(Box::new(e))),
    }
}
