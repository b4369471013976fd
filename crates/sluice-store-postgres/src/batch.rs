//! Batched transitions. Each transition used to be its own transaction of six round trips
//! (begin, lock, update, event, endpoints, commit) and its own commit flush. Here a few writer
//! tasks each take every transition queued at that moment and apply the whole batch in one
//! transaction with a fixed number of statements, whatever its size: lock every flow
//! (`FOR UPDATE`, in ID order so that batches on other instances cannot deadlock with this
//! one) and check every job's addresses against the deny list in one query, run each job's
//! operation in memory (several jobs on one flow run in arrival order, each
//! seeing the previous one's result), then one statement that updates the flows, appends
//! the events and queues their webhook deliveries, and one commit. Every caller is answered only
//! after that commit. Under light load a batch holds one job, so nothing waits on a timer.

use std::collections::HashMap;
use std::sync::Arc;

use sluice_domain::transitions::Rejection;
use sluice_domain::{EnvironmentId, Flow, FlowEvent, FlowId};
use sluice_store::*;
use sqlx::{PgPool, Postgres, Row, Transaction};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::db;
use crate::flows::lock_flows;

/// Most jobs in one transaction.
const MAX_BATCH: usize = 128;
const QUEUE: usize = 4096;
/// Batches in flight at once: a batch is mostly waiting on the network, so a few writers keep
/// the server busy while one waits for its commit.
const WRITERS: usize = 4;

pub(crate) type Reply = oneshot::Sender<StoreResult<Result<Flow, Rejection>>>;

pub(crate) struct Job {
    pub env: EnvironmentId,
    pub id: FlowId,
    /// Checked against the deny list inside the batch's transaction.
    pub screening_keys: Vec<String>,
    pub op: ScreenedOp,
    pub reply: Reply,
}

pub(crate) fn spawn(pool: PgPool) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>(QUEUE);
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..WRITERS {
        let (pool, rx) = (pool.clone(), rx.clone());
        tokio::spawn(async move {
            while let Some(batch) = next_batch(&rx).await {
                run(&pool, batch).await;
            }
        });
    }
    tx
}

/// Waits for one job, then takes whatever else is already queued.
async fn next_batch(rx: &Mutex<mpsc::Receiver<Job>>) -> Option<Vec<Job>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// A flow's state through the batch: as locked, then after each accepted job.
struct Working {
    locked_revision: i64,
    flow: Flow,
    changed: bool,
}

async fn run(pool: &PgPool, batch: Vec<Job>) {
    let (work, replies): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|j| ((j.env, j.id, j.screening_keys, j.op), j.reply))
        .unzip();
    match apply(pool, work).await {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(e) => {
            let message = format!("batched transition failed: {e}");
            for reply in replies {
                let e = StoreError::Database(Box::new(std::io::Error::other(message.clone())));
                let _ = reply.send(Err(e));
            }
        }
    }
}

/// The batch's transaction; the outcomes are in job order and hold only once it committed.
async fn apply(
    pool: &PgPool,
    work: Vec<(EnvironmentId, FlowId, Vec<String>, ScreenedOp)>,
) -> StoreResult<Vec<Result<Flow, Rejection>>> {
    let mut tx = pool.begin().await.map_err(db)?;
    let screened: Vec<(EnvironmentId, &String)> = work
        .iter()
        .flat_map(|(env, _, keys, _)| keys.iter().map(|k| (*env, k)))
        .collect();
    let denied = denied_keys(&mut tx, &screened).await?;
    let mut ids: Vec<FlowId> = work.iter().map(|(_, id, _, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut flows: HashMap<FlowId, Working> = lock_flows(&mut tx, &ids)
        .await?
        .into_iter()
        .map(|flow| {
            let working = Working {
                locked_revision: flow.revision,
                flow,
                changed: false,
            };
            (working.flow.id, working)
        })
        .collect();
    let mut events: Vec<FlowEvent> = Vec::new();
    let mut outcomes = Vec::with_capacity(work.len());
    for (env, id, keys, op) in work {
        let hit = keys.into_iter().any(|k| denied.contains(&(env, k)));
        // Another environment's flow is absent, as everywhere else.
        let working = flows.get_mut(&id).filter(|w| w.flow.environment_id == env);
        let current = working.as_ref().map(|w| &w.flow);
        let outcome = match op(current, hit) {
            Ok(change) => {
                let working = working.expect("an accepted change has a flow");
                let mut flow = change.flow;
                flow.revision = working.flow.revision + 1;
                working.flow = flow.clone();
                working.changed = true;
                events.extend(change.events);
                Ok(flow)
            }
            Err(rejection) => Err(rejection),
        };
        outcomes.push(outcome);
    }
    let changed: Vec<(&Flow, i64)> = flows
        .values()
        .filter(|w| w.changed)
        .map(|w| (&w.flow, w.locked_revision))
        .collect();
    crate::flows::write_batch(&mut tx, &changed, &events).await?;
    tx.commit().await.map_err(db)?;
    Ok(outcomes)
}

/// Which of these (environment, screening key) pairs are on the deny list: one query.
async fn denied_keys(
    tx: &mut Transaction<'static, Postgres>,
    screened: &[(EnvironmentId, &String)],
) -> StoreResult<std::collections::HashSet<(EnvironmentId, String)>> {
    if screened.is_empty() {
        return Ok(Default::default());
    }
    let envs: Vec<uuid::Uuid> = screened.iter().map(|(e, _)| e.as_uuid()).collect();
    let keys: Vec<&str> = screened.iter().map(|(_, k)| k.as_str()).collect();
    let rows = sqlx::query(
        "SELECT d.environment_id, d.screening_key FROM deny_list d \
         JOIN unnest($1::uuid[], $2::text[]) AS k(environment_id, screening_key) \
         ON d.environment_id = k.environment_id AND d.screening_key = k.screening_key",
    )
    .bind(&envs)
    .bind(&keys)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            let env: uuid::Uuid = row.try_get("environment_id").map_err(db)?;
            let key: String = row.try_get("screening_key").map_err(db)?;
            Ok((EnvironmentId::from_uuid(env), key))
        })
        .collect()
}
