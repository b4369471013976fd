//! The PostgreSQL backend, for running several stateless Sluice instances on one database.
//! Every write that decides on a flow's current state reads it with `SELECT … FOR UPDATE`
//! inside its transaction, so instances serialise on the row, not in memory. Commits are
//! durable: each connection insists on `synchronous_commit = on`, whatever the server's
//! default.
#![forbid(unsafe_code)]

mod api_tokens;
mod batch;
mod deposit_keys;
mod deposit_store;
mod deposit_watch;
mod environment_store;
mod exchanges;
mod flow_store;
mod flows;
/// How this backend spells S4's index-range plan (for the suite's `EXPLAIN` checks).
pub use flows::{DIALECT as LIST_DIALECT, overdue_ids_sql};
mod idempotency;
mod payment_watch;
mod reads;
mod webhook_store;
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

/// How long a first connection may take before the server is reported unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One connection, once, before the pool: the pool retries a refused or silent server until
/// its acquire timeout and then reports only that it timed out, where an operator needs the
/// host and the reason within seconds.
async fn probe(options: &PgConnectOptions) -> StoreResult<()> {
    use sqlx::{ConnectOptions, Connection};
    let at = format!("{}:{}", options.get_host(), options.get_port());
    let unreachable = |why: String| {
        StoreError::Database(Box::new(std::io::Error::other(format!(
            "PostgreSQL at {at}: {why}"
        ))))
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(())
        }
    }
}

/// The session every Sluice connection opens, sent in the startup packet (no round trip):
/// - `synchronous_commit = on`: an answered write is on disk, whatever the server's default;
/// - `plan_cache_mode = force_generic_plan`: each prepared statement is planned once, without
///   its parameters' values. Left to choose, PostgreSQL planned some S4 shapes again on every
///   execution at a million flows (0.3–2 ms of planning for 0.2 ms of work) because the
///   current time made a custom plan look cheaper; every statement here is written so that
///   its index is the only sensible path whatever the values (the suite's `EXPLAIN` checks
///   run on these generic plans).
pub fn connect_options(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    Ok(PgConnectOptions::from_str(url)?.options([
        ("synchronous_commit", "on"),
        ("plan_cache_mode", "force_generic_plan"),
    ]))
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`) and applies pending migrations (sqlx takes an
    /// advisory lock, so instances starting together migrate once).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = connect_options(url).map_err(db)?;
        probe(&options).await?;
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
        display_name: row.try_get("display_name").map_err(db)?,
        created_at: Timestamp(row.try_get("created_at").map_err(db)?),
    })
}

async fn insert_environment(
    tx: &mut Transaction<'static, Postgres>,
    env: &Environment,
    token: &ApiTokenRecord,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO environments (id, name, allowed_origins, enabled_chains, created_at, display_name) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(env.id.as_uuid())
        .bind(&env.name)
        .bind(encode_origins(&env.allowed_origins))
        .bind(encode_chains(env.enabled_chains.as_deref()))
        .bind(env.created_at.0)
        .bind(env.display_name.as_deref())
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

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool> {
        deposit_watch::acquire_lease(self, name, holder, now, until).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        deposit_watch::release_lease(self, name, holder).await
    }
}
