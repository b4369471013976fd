//! Group commit. SQLite has one writer at a time and, with `synchronous=FULL`, each commit
//! waits for an fsync. So flow writes (new flows and transitions) go to one writer task that
//! takes every job queued at that moment (up to a cap), runs them in one `BEGIN IMMEDIATE …
//! COMMIT`, each inside its own savepoint so that one job's database error cannot undo the
//! others, and answers every caller only after the commit holding its write is durable. Under
//! light load a batch holds one job (no added latency); under load, one fsync serves many.

use sluice_domain::transitions::Rejection;
use sluice_domain::{EnvironmentId, Flow, FlowId};
use sluice_store::{FlowOp, IdempotentAnswer, StoreError, StoreResult};
use sqlx::Connection;
use sqlx::sqlite::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use crate::{db, flows};

/// Most jobs in one transaction: bounds a batch's latency and its memory.
const MAX_BATCH: usize = 256;
/// Jobs waiting beyond this make callers wait to enqueue (backpressure).
const QUEUE: usize = 4096;

pub(crate) enum Job {
    Transition {
        env: EnvironmentId,
        id: FlowId,
        op: FlowOp,
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

pub(crate) fn spawn(writer: SqlitePool) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            run(&writer, batch).await;
        }
    });
    tx
}

fn failed(e: &dyn std::fmt::Display) -> StoreError {
    StoreError::Database(Box::new(std::io::Error::other(format!(
        "group commit failed: {e}"
    ))))
}

async fn run(writer: &SqlitePool, batch: Vec<Job>) {
    let mut tx = match writer.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(e) => {
            for job in batch {
                match job {
                    Job::Transition { reply, .. } => drop(reply.send(Err(failed(&e)))),
                    Job::Insert { reply, .. } => drop(reply.send(Err(failed(&e)))),
                }
            }
            return;
        }
    };
    let mut done = Vec::with_capacity(batch.len());
    for job in batch {
        let savepoint = match (*tx).begin().await {
            Ok(sp) => sp,
            Err(e) => {
                done.push(match job {
                    Job::Transition { reply, .. } => Done::Transition(reply, Box::new(Err(db(e)))),
                    Job::Insert { reply, .. } => Done::Insert(reply, Err(db(e))),
                });
                continue;
            }
        };
        let mut savepoint = savepoint;
        match job {
            Job::Transition { env, id, op, reply } => {
                let result = flows::apply_transition(&mut savepoint, env, id, op).await;
                let keep = matches!(result, Ok(Ok(_)));
                let result = finish(savepoint, keep, result).await;
                done.push(Done::Transition(reply, Box::new(result)));
            }
            Job::Insert {
                flow,
                answer,
                reply,
            } => {
                let result = flows::insert_in(&mut savepoint, &flow, answer.as_ref()).await;
                let keep = result.is_ok();
                let result = finish(savepoint, keep, result).await;
                done.push(Done::Insert(reply, result));
            }
        }
    }
    let committed = tx.commit().await;
    for d in done {
        match (d, &committed) {
            (Done::Transition(reply, result), Ok(())) => drop(reply.send(*result)),
            (Done::Insert(reply, result), Ok(())) => drop(reply.send(result)),
            (Done::Transition(reply, _), Err(e)) => drop(reply.send(Err(failed(e)))),
            (Done::Insert(reply, _), Err(e)) => drop(reply.send(Err(failed(e)))),
        }
    }
}

/// Releases the job's savepoint when its write stands, rolls it back otherwise.
async fn finish<T>(
    savepoint: sqlx::Transaction<'_, sqlx::Sqlite>,
    keep: bool,
    result: StoreResult<T>,
) -> StoreResult<T> {
    let closed = if keep {
        savepoint.commit().await
    } else {
        savepoint.rollback().await
    };
    match (closed, result) {
        (Ok(()), result) => result,
        (Err(e), _) => Err(db(e)),
    }
}
