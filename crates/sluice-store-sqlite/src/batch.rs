//! Group commit. SQLite has one writer at a time and, with `synchronous=FULL`, each commit
//! waits for an fsync. So flow writes (new flows and transitions) go to one writer thread
//! that takes every job queued at that moment (up to a cap), runs them in one `BEGIN
//! IMMEDIATE … COMMIT`, each inside its own savepoint so that one job's database error cannot
//! undo the others, and answers every caller only after the commit holding its write is
//! durable. Under light load a batch holds one job (no added latency); under load, one fsync
//! serves many.
//!
//! The writer is a plain OS thread with its own `rusqlite` connection: a batch runs start to
//! finish without handing each statement to another thread, which is what sqlx would do.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sluice_domain::transitions::Rejection;
use sluice_domain::{EnvironmentId, Flow, FlowId};
use sluice_store::{IdempotentAnswer, ScreenedOp, StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

use crate::flow_cache::{Committed, FlowCache};
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
}

/// A job's result, held until the batch commits.
enum Done {
    Transition(
        oneshot::Sender<StoreResult<Result<Flow, Rejection>>>,
        Box<StoreResult<Result<Flow, Rejection>>>,
    ),
    Insert(oneshot::Sender<StoreResult<()>>, StoreResult<()>),
}

impl Done {
    /// Answers the caller: its own result if the batch committed, the commit's error if not.
    fn answer(self, committed: &Result<(), String>) {
        match (self, committed) {
            (Done::Transition(reply, result), Ok(())) => drop(reply.send(*result)),
            (Done::Insert(reply, result), Ok(())) => drop(reply.send(result)),
            (Done::Transition(reply, _), Err(e)) => drop(reply.send(Err(failed(e)))),
            (Done::Insert(reply, _), Err(e)) => drop(reply.send(Err(failed(e)))),
        }
    }
}

/// Opens the writer connection and starts the writer thread; it ends when every sender
/// (every clone of the store) is gone.
pub(crate) fn spawn(path: &Path, committed: Committed) -> StoreResult<mpsc::Sender<Job>> {
    let conn = open_writer(path).map_err(db)?;
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
    Ok(conn)
}

fn failed(e: &str) -> StoreError {
    StoreError::Database(Box::new(std::io::Error::other(format!(
        "group commit failed: {e}"
    ))))
}

fn run(conn: &Connection, cache: &mut FlowCache, batch: Vec<Job>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let e = e.to_string();
        for job in batch {
            match job {
                Job::Transition { reply, .. } => drop(reply.send(Err(failed(&e)))),
                Job::Insert { reply, .. } => drop(reply.send(Err(failed(&e)))),
            }
        }
        return;
    }
    let done: Vec<Done> = batch
        .into_iter()
        .map(|job| run_job(conn, cache, job))
        .collect();
    let committed = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
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

/// Runs one job inside its own savepoint, keeping its write only when it succeeded.
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
            let result = in_savepoint(
                conn,
                |conn| native_write::apply_transition(conn, current, env, &screening_keys, op),
                |r| r.is_ok(),
            );
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
            let result = in_savepoint(
                conn,
                |conn| native_write::insert_flow(conn, &flow, answer.as_ref()),
                |_| true,
            );
            if result.is_ok() {
                cache.wrote(*flow);
            }
            Done::Insert(reply, result)
        }
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> StoreResult<T>,
    keep: impl FnOnce(&T) -> bool,
) -> StoreResult<T> {
    // Cached statements: parsing these four words for every job cost more than running them.
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    run("SAVEPOINT job").map_err(db)?;
    let result = work(conn);
    let keep = result.as_ref().is_ok_and(keep);
    let closed = if keep {
        run("RELEASE job")
    } else {
        run("ROLLBACK TO job").and_then(|_| run("RELEASE job"))
    };
    match (closed, result) {
        (Ok(_), result) => result,
        (Err(e), _) => Err(db(e)),
    }
}
