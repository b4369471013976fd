//! The SQLite backend: the embedded default. One write connection (SQLite has one writer at
//! a time anyway, and a single connection means no busy-waiting between our own writers) and
//! a pool of read connections beside it, which WAL mode lets run while the writer works.
//! Every answered write is durable on power loss: WAL with `synchronous=FULL`.
#![forbid(unsafe_code)]

mod api_tokens;
mod batch;
mod checkpoint;
mod deposit_keys;
mod deposit_store;
mod deposit_watch;
mod environment_store;
mod exchanges;
mod flow_cache;
mod flow_store;
mod flows;
/// How this backend spells S4's index-range plan (for the suite's `EXPLAIN` checks).
pub use flows::DIALECT as LIST_DIALECT;

/// How much of the database file each connection reads through a memory map: SQLite's
/// largest (2 GiB less 64 KiB, its compile-time cap), so reads of a large table are copies
/// out of the OS page cache, not `read()` calls. Writes still go through the WAL file, so
/// durability is unchanged; the mapped pages are the page cache's, shared by every
/// connection and reclaimable by the kernel (they count in the server's resident memory).
pub const MMAP_SIZE: u64 = 2_147_418_112;
mod idempotency;
mod native;
mod native_write;
mod payment_watch;
#[cfg(test)]
mod temp_db;
mod webhook_store;
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
            .foreign_keys(true)
            .pragma("mmap_size", MMAP_SIZE.to_string());
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
    sqlx::query("INSERT INTO environments (id, name, allowed_origins, enabled_chains, created_at, display_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .bind(env.id.to_string())
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
