//! Hot-path reads on plain `rusqlite` connections, run on the calling thread.
//!
//! sqlx gives every SQLite connection its own worker thread and sends each statement there
//! and back; for a point read by primary key that takes a few microseconds, the two thread
//! switches cost more than the query (profiling `GET flow` showed half the server's time in
//! the scheduler). A WAL reader never waits for the writer, so these reads are short and
//! bounded, and running them inline is cheaper than any hand-off. Everything else (lists,
//! rare reads, and all writes outside group commit) stays on sqlx.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};
use sluice_domain::{EnvironmentId, Flow, FlowId, Timestamp};
use sluice_store::*;

pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(Box::new(e))
}

/// Read-only connections, opened on demand and kept for reuse.
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // Point reads come straight from the memory map (the OS page cache) rather than
        // through a read() into each connection's own small cache.
        conn.execute_batch(&format!("PRAGMA mmap_size = {};", crate::MMAP_SIZE))?;
        Ok(conn)
    }

    /// Runs `read` on an idle connection (or a new one), then returns it to the pool.
    pub(crate) fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let idle = self.idle.lock().expect("reader pool lock").pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open().map_err(db)?,
        };
        let result = read(&conn);
        self.idle.lock().expect("reader pool lock").push(conn);
        result
    }
}

pub(crate) const FLOW_COLUMNS: &str = "environment_id, execution_state, settlement_state, risk_state, \
     session_token_hash, expires_at, updated_at, revision, doc";

/// A flow from a row selected with [`FLOW_COLUMNS`], in that order.
pub(crate) fn flow_from_row(row: &Row<'_>) -> StoreResult<Flow> {
    let env: String = row.get(0).map_err(db)?;
    let cols = FlowColumns {
        environment_id: env
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("environment id {env:?}")))?,
        execution_state: row.get(1).map_err(db)?,
        settlement_state: row.get(2).map_err(db)?,
        risk_state: row.get(3).map_err(db)?,
        session_token_hash: row.get(4).map_err(db)?,
        expires_at: row.get(5).map_err(db)?,
        updated_at: row.get(6).map_err(db)?,
        revision: row.get(7).map_err(db)?,
    };
    let doc: String = row.get(8).map_err(db)?;
    decode_flow(&doc, cols)
}

/// One flow by ID, only within its own environment: another environment's flow is "absent".
pub(crate) fn load_flow(
    conn: &Connection,
    env: EnvironmentId,
    id: FlowId,
) -> StoreResult<Option<Flow>> {
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT {FLOW_COLUMNS} FROM flows WHERE id = ?1 AND environment_id = ?2"
        ))
        .map_err(db)?;
    let mut rows = statement
        .query((id.to_string(), env.to_string()))
        .map_err(db)?;
    match rows.next().map_err(db)? {
        Some(row) => flow_from_row(row).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn load_environment(
    conn: &Connection,
    id: EnvironmentId,
) -> StoreResult<Option<Environment>> {
    let mut statement = conn
        .prepare_cached(
            "SELECT name, allowed_origins, enabled_chains, created_at, display_name FROM environments WHERE id = ?1",
        )
        .map_err(db)?;
    let found = statement
        .query_row([id.to_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<String>>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })
        .optional()
        .map_err(db)?;
    let Some((name, origins, chains, created_at, display_name)) = found else {
        return Ok(None);
    };
    Ok(Some(Environment {
        id,
        name,
        allowed_origins: decode_origins(&origins)?,
        enabled_chains: decode_chains(chains.as_deref())?,
        display_name,
        created_at: Timestamp(created_at),
    }))
}

/// True when any of the screening keys is on the environment's deny list.
pub(crate) fn any_denied(
    conn: &Connection,
    env: EnvironmentId,
    keys: &[String],
) -> StoreResult<bool> {
    if keys.is_empty() {
        return Ok(false);
    }
    let mut select = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM deny_list WHERE environment_id = ?1 AND screening_key = ?2)",
        )
        .map_err(db)?;
    let env = env.to_string();
    for key in keys {
        let hit: bool = select
            .query_row((&env, key), |row| row.get(0))
            .map_err(db)?;
        if hit {
            return Ok(true);
        }
    }
    Ok(false)
}
