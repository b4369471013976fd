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
//! Point reads of flows (`SqliteStore::flow`) consult the committed copies too. Only the
//! writer fills them, after the commit and before it answers any caller, so a read that
//! starts after a write was answered sees that write; readers never insert what they read
//! (a row read just before a commit could otherwise overwrite the newer copy).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rusqlite::Connection;
use sluice_domain::{EnvironmentId, Flow, FlowId};
use sluice_store::StoreResult;

use crate::native::load_flow;

/// Beyond this many flows the memory starts over (about 3 KiB each).
const CAPACITY: usize = 10_000;

/// The committed copies, shared with the store's readers.
pub(crate) type Committed = Arc<RwLock<HashMap<FlowId, Arc<Flow>>>>;

/// A committed copy for a point read, if the writer has one.
pub(crate) fn committed_copy(
    committed: &Committed,
    env: EnvironmentId,
    id: FlowId,
) -> Option<Option<Flow>> {
    let copies = committed.read().expect("flow cache lock");
    let flow = copies.get(&id)?;
    Some((flow.environment_id == env).then(|| Flow::clone(flow)))
}

pub(crate) struct FlowCache {
    committed: Committed,
    /// Written by the batch in progress, not yet committed.
    pending: HashMap<FlowId, Arc<Flow>>,
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
        if let Some(flow) = self.pending.get(&id) {
            return Ok((flow.environment_id == env).then(|| Flow::clone(flow)));
        }
        match committed_copy(&self.committed, env, id) {
            Some(flow) => Ok(flow),
            None => load_flow(conn, env, id),
        }
    }

    /// A job of the batch wrote `flow` and its savepoint was released.
    pub(crate) fn wrote(&mut self, flow: Flow) {
        self.pending.insert(flow.id, Arc::new(flow));
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
