//! Group commit. SQLite has one writer at a time and, with `synchronous=FULL`, each commit
//! waits for an fsync. So flow writes (new flows and transitions) go to one writer thread
//! that takes every job queued at that moment (up to a cap), runs them in one `BEGIN
//! IMMEDIATE … COMMIT`, and answers every caller only after the commit holding its write is
//! durable. Under light load a batch holds one job (no added latency); under load, one fsync
//! serves many.
//!
//! Jobs run without a savepoint each: a savepoint copies every page a job touches into a
//! sub-journal, which measured 6–10 % of attach throughput. That is safe because a job that
//! fails before it writes (a refused transition, a revision conflict, a duplicate ID: SQLite
//! undoes a failed statement by itself) leaves the transaction as it found it, so the batch
//! goes on. A job that fails *after* one of its statements wrote (only an I/O error or a bug
//! can do that) would leave half a change, so the whole batch is rolled back and every caller
//! in it is told the write failed: nothing half-done, and nothing answered as written, lands.
//!
//! The writer is a plain OS thread with its own `rusqlite` connection: a batch runs start to
//! finish without handing each statement to another thread, which is what sqlx would do.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sluice_domain::transitions::Rejection;
use sluice_domain::{EnvironmentId, Flow, FlowId, Timestamp};
use sluice_store::{ClaimOutcome, IdempotentAnswer, ScreenedOp, StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

use crate::checkpoint::{Checkpointer, Thresholds};
use crate::flow_cache::{Committed, FlowCache};
use crate::idempotency::KeyOp;
use crate::native::db;
use crate::native_write;

/// Most jobs in one transaction: bounds a batch's latency and its memory.
const MAX_BATCH: usize = 256;
/// Jobs waiting beyond this make callers wait to enqueue (backpressure).
const QUEUE: usize = 4096;

pub(crate) enum Job {
    Transition {
        env: EnvironmentId,
        id: FlowId,
        screening_keys: Vec<String>,
        op: ScreenedOp,
        reply: oneshot::Sender<StoreResult<Result<Flow, Rejection>>>,
    },
    Insert {
        flow: Box<Flow>,
        answer: Option<IdempotentAnswer>,
        reply: oneshot::Sender<StoreResult<()>>,
    },
    AssignDeposit {
        env: EnvironmentId,
        id: FlowId,
        chain: sluice_domain::ChainName,
        now: Timestamp,
        reply: oneshot::Sender<StoreResult<Result<Flow, Rejection>>>,
    },
    /// Idempotency-key bookkeeping, in the same commit as the flow writes around it.
    Key {
        op: KeyOp,
        reply: oneshot::Sender<StoreResult<ClaimOutcome>>,
    },
}

/// A job's result, held until the batch commits.
enum Done {
    Transition(
        oneshot::Sender<StoreResult<Result<Flow, Rejection>>>,
        Box<StoreResult<Result<Flow, Rejection>>>,
    ),
    Insert(oneshot::Sender<StoreResult<()>>, StoreResult<()>),
    Key(
        oneshot::Sender<StoreResult<ClaimOutcome>>,
        StoreResult<ClaimOutcome>,
    ),
}

impl Done {
    fn failed(&self) -> bool {
        match self {
            Done::Transition(_, result) => result.is_err(),
            Done::Insert(_, result) => result.is_err(),
            Done::Key(_, result) => result.is_err(),
        }
    }

    fn error_text(&self) -> String {
        match self {
            Done::Transition(_, result) => match result.as_ref() {
                Err(e) => e.to_string(),
                Ok(_) => String::new(),
            },
            Done::Insert(_, result) => match result {
                Err(e) => e.to_string(),
                Ok(()) => String::new(),
            },
            Done::Key(_, result) => match result {
                Err(e) => e.to_string(),
                Ok(_) => String::new(),
            },
        }
    }

    /// Answers the caller: its own result if the batch committed, the commit's error if not.
    fn answer(self, committed: &Result<(), String>) {
        match (self, committed) {
            (Done::Transition(reply, result), Ok(())) => drop(reply.send(*result)),
            (Done::Insert(reply, result), Ok(())) => drop(reply.send(result)),
            (Done::Transition(reply, _), Err(e)) => drop(reply.send(Err(failed(e)))),
            (Done::Insert(reply, _), Err(e)) => drop(reply.send(Err(failed(e)))),
            (Done::Key(reply, result), Ok(())) => drop(reply.send(result)),
            (Done::Key(reply, _), Err(e)) => drop(reply.send(Err(failed(e)))),
        }
    }
}

/// Opens the writer connection and starts the writer thread; it ends when every sender
/// (every clone of the store) is gone.
pub(crate) fn spawn(path: &Path, committed: Committed) -> StoreResult<mpsc::Sender<Job>> {
    let conn = open_writer(path).map_err(db)?;
    let mut checkpointer = Checkpointer::start(path, &conn, Thresholds::default())?;
    let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
    std::thread::Builder::new()
        .name("sluice-sqlite-writer".into())
        .spawn(move || {
            let mut cache = FlowCache::new(committed);
            while let Some(first) = rx.blocking_recv() {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                run(&conn, &mut cache, batch);
                checkpointer.after_commit(&conn);
            }
        })
        .map_err(|e| StoreError::Database(Box::new(e)))?;
    Ok(tx)
}

/// The same durability settings as every other connection: they are per connection.
fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )?;
    // The writer keeps the B-tree pages it touches (the flows' rows and every index a write
    // updates) in a 64 MiB cache of its own instead of SQLite's default 2 MiB, and reads
    // through the memory map: at a million flows the pages of a random attach are mostly
    // not the last one's.
    conn.execute_batch(&format!(
        "PRAGMA cache_size = -65536; PRAGMA mmap_size = {};",
        crate::MMAP_SIZE
    ))?;
    // A transition's UPDATE names only the columns it changes, so the writer prepares a few
    // shapes of it besides its other statements; rusqlite keeps 16 by default.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn failed(e: &str) -> StoreError {
    StoreError::Database(Box::new(std::io::Error::other(format!(
        "group commit failed: {e}"
    ))))
}

fn run(conn: &Connection, cache: &mut FlowCache, batch: Vec<Job>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        fail_all(batch, &e.to_string());
        return;
    }
    let mut done = Vec::with_capacity(batch.len());
    let mut half_written = None;
    for job in batch {
        let changes_before = conn.total_changes();
        let result = run_job(conn, cache, job);
        if result.failed() && conn.total_changes() != changes_before {
            half_written.get_or_insert_with(|| result.error_text());
        }
        done.push(result);
    }
    let committed = match half_written {
        Some(e) => Err(format!(
            "a job failed after writing, batch rolled back: {e}"
        )),
        None => conn.execute_batch("COMMIT").map_err(|e| e.to_string()),
    };
    if committed.is_ok() {
        cache.batch_committed();
    } else {
        cache.batch_failed();
        // Leaves the connection usable for the next batch.
        let _ = conn.execute_batch("ROLLBACK");
    }
    for d in done {
        d.answer(&committed);
    }
}

fn fail_all(batch: Vec<Job>, e: &str) {
    for job in batch {
        match job {
            Job::Transition { reply, .. } | Job::AssignDeposit { reply, .. } => {
                drop(reply.send(Err(failed(e))))
            }
            Job::Insert { reply, .. } => drop(reply.send(Err(failed(e)))),
            Job::Key { reply, .. } => drop(reply.send(Err(failed(e)))),
        }
    }
}

/// Runs one job in the batch's transaction. A refused transition writes nothing.
fn run_job(conn: &Connection, cache: &mut FlowCache, job: Job) -> Done {
    match job {
        Job::Transition {
            env,
            id,
            screening_keys,
            op,
            reply,
        } => {
            let current = |conn: &Connection| cache.current(conn, env, id);
            let result = native_write::apply_transition(conn, current, env, &screening_keys, op);
            match &result {
                Ok(Ok(flow)) => cache.wrote(flow.clone()),
                Ok(Err(_)) => {}
                Err(_) => cache.forget(id),
            }
            Done::Transition(reply, Box::new(result))
        }
        Job::AssignDeposit {
            env,
            id,
            chain,
            now,
            reply,
        } => {
            let current = |conn: &Connection| cache.current(conn, env, id);
            let result = crate::deposit_keys::assign(conn, current, env, chain, now);
            match &result {
                Ok(Ok(flow)) => cache.wrote(flow.clone()),
                Ok(Err(_)) => {}
                Err(_) => cache.forget(id),
            }
            Done::Transition(reply, Box::new(result))
        }
        Job::Insert {
            flow,
            answer,
            reply,
        } => {
            let result = native_write::insert_flow(conn, &flow, answer.as_ref());
            if result.is_ok() {
                cache.wrote(*flow);
            }
            Done::Insert(reply, result)
        }
        Job::Key { op, reply } => Done::Key(reply, crate::idempotency::run(conn, &op)),
    }
}
