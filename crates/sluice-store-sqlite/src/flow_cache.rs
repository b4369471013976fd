//! The writer's memory of the flows it wrote.
//!
//! Every transition starts from the flow's current row, and reading and decoding that row was
//! a quarter of the writer thread's time — the thread every flow write waits for. On SQLite
//! the writer thread is the only code that writes flows (one process owns the file), so the
//! flows it committed are exactly what the rows hold, and it can keep them. Entries are
//! recorded per batch and kept only once the batch commits; a failed commit forgets
//! everything. Should the file be written by someone else anyway, the revision guard on the
//! write refuses the stale copy and the entry is dropped.
//!
//! Point reads of flows (`SqliteStore::flow`, and the payer view's JSON, rendered once per
//! version) consult the committed copies too. Only the
//! writer fills them, after the commit and before it answers any caller, so a read that
//! starts after a write was answered sees that write; readers never insert what they read
//! (a row read just before a commit could otherwise overwrite the newer copy).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use bytes::Bytes;

use rusqlite::Connection;
use sluice_domain::{EnvironmentId, Flow, FlowId, Timestamp};
use sluice_store::{StoreResult, payer_json};

use crate::native::load_flow;

/// Beyond this many flows the memory starts over (about 3 KiB each).
const CAPACITY: usize = 10_000;

/// A committed flow, and its payer view's JSON once a reader has needed it.
pub(crate) struct Copy {
    pub(crate) flow: Flow,
    payer_json: OnceLock<Bytes>,
}

impl Copy {
    fn new(flow: Flow) -> Arc<Self> {
        Arc::new(Self {
            flow,
            payer_json: OnceLock::new(),
        })
    }

    /// The payer view as a read at `now` shows it. Rendered once per committed version; an
    /// overdue flow reads as `expired`, so its answer is rendered afresh.
    pub(crate) fn payer_json(&self, now: Timestamp) -> Bytes {
        if self.flow.is_overdue(now) {
            return payer_json(&self.flow.clone().observed(now).payer_view());
        }
        self.payer_json
            .get_or_init(|| payer_json(&self.flow.clone().payer_view()))
            .clone()
    }
}

/// The committed copies, shared with the store's readers.
pub(crate) type Committed = Arc<RwLock<HashMap<FlowId, Arc<Copy>>>>;

/// The writer's committed copy of a flow, if it has one; another environment's flow is
/// absent (`Some(None)`).
pub(crate) fn committed_copy(
    committed: &Committed,
    env: EnvironmentId,
    id: FlowId,
) -> Option<Option<Arc<Copy>>> {
    let copies = committed.read().expect("flow cache lock");
    let copy = copies.get(&id)?;
    Some((copy.flow.environment_id == env).then(|| copy.clone()))
}

pub(crate) struct FlowCache {
    committed: Committed,
    /// Written by the batch in progress, not yet committed.
    pending: HashMap<FlowId, Arc<Copy>>,
}

impl FlowCache {
    pub(crate) fn new(committed: Committed) -> Self {
        Self {
            committed,
            pending: HashMap::new(),
        }
    }

    /// The flow as this batch would read it: its own writes first, then committed ones,
    /// then the row. Another environment's flow is absent, as everywhere else.
    pub(crate) fn current(
        &self,
        conn: &Connection,
        env: EnvironmentId,
        id: FlowId,
    ) -> StoreResult<Option<Flow>> {
        if let Some(copy) = self.pending.get(&id) {
            return Ok((copy.flow.environment_id == env).then(|| copy.flow.clone()));
        }
        match committed_copy(&self.committed, env, id) {
            Some(copy) => Ok(copy.map(|c| c.flow.clone())),
            None => load_flow(conn, env, id),
        }
    }

    /// A job of the batch wrote `flow` and its savepoint was released.
    pub(crate) fn wrote(&mut self, flow: Flow) {
        self.pending.insert(flow.id, Copy::new(flow));
    }

    /// The row may differ from what is remembered (a refused, conflicting write).
    pub(crate) fn forget(&mut self, id: FlowId) {
        self.pending.remove(&id);
        self.committed.write().expect("flow cache lock").remove(&id);
    }

    /// Called after the commit and before any caller of the batch is answered.
    pub(crate) fn batch_committed(&mut self) {
        let mut committed = self.committed.write().expect("flow cache lock");
        if committed.len() + self.pending.len() > CAPACITY {
            committed.clear();
        }
        committed.extend(self.pending.drain());
    }

    pub(crate) fn batch_failed(&mut self) {
        self.pending.clear();
        self.committed.write().expect("flow cache lock").clear();
    }
}
