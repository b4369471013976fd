//! Batched flow reads. Reading a flow by ID is one round trip to PostgreSQL, and under load
//! the round trips, not the queries, are what cost (each is a wake-up of a server process and
//! of a client task). So point reads go to a few reader tasks that each take every read
//! queued at that moment and answer them all from one `SELECT … WHERE id = ANY($1)`. A read
//! issued after a write was answered still sees that write: the query starts after the commit.
//! Under light load a batch holds one read, so nothing waits on a timer.

use std::collections::HashMap;
use std::sync::Arc;

use sluice_domain::{EnvironmentId, Flow, FlowId};
use sluice_store::{StoreError, StoreResult};
use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};

/// Most reads answered by one query.
const MAX_BATCH: usize = 256;
const QUEUE: usize = 4096;
/// Queries in flight at once.
const READERS: usize = 4;

pub(crate) struct Read {
    pub env: EnvironmentId,
    pub id: FlowId,
    pub reply: oneshot::Sender<StoreResult<Option<Flow>>>,
}

pub(crate) fn spawn(pool: PgPool) -> mpsc::Sender<Read> {
    let (tx, rx) = mpsc::channel::<Read>(QUEUE);
    let rx = Arc::new(Mutex::new(rx));
    for _ in 0..READERS {
        let (pool, rx) = (pool.clone(), rx.clone());
        tokio::spawn(async move {
            while let Some(batch) = next_batch(&rx).await {
                answer(&pool, batch).await;
            }
        });
    }
    tx
}

async fn next_batch(rx: &Mutex<mpsc::Receiver<Read>>) -> Option<Vec<Read>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(read) => batch.push(read),
            Err(_) => break,
        }
    }
    Some(batch)
}

async fn answer(pool: &PgPool, batch: Vec<Read>) {
    let mut ids: Vec<FlowId> = batch.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    match crate::flows::load_many(pool, &ids).await {
        Ok(flows) => {
            let by_id: HashMap<FlowId, Flow> = flows.into_iter().map(|f| (f.id, f)).collect();
            for read in batch {
                // Another environment's flow is absent, as everywhere else.
                let flow = by_id
                    .get(&read.id)
                    .filter(|f| f.environment_id == read.env)
                    .cloned();
                let _ = read.reply.send(Ok(flow));
            }
        }
        Err(e) => {
            let message = e.to_string();
            for read in batch {
                let e = StoreError::Database(Box::new(std::io::Error::other(message.clone())));
                let _ = read.reply.send(Err(e));
            }
        }
    }
}
