//! The writer's memory of the flows it wrote.
//!
//! Every transition starts from the flow's current row, and reading and decoding that row was
//! a quarter of the writer thread's time — the thread every flow write waits for. On SQLite
//! the writer thread is the only code that writes flows (one process owns the file), so the
//! flows it committed are exactly what the rows hold, and it can keep them. Entries are
//! recorded per batch and kept only once the batch commits; a failed commit forgets
//! everything. Should the file be written by someone else anyway, the revision guard on the
//! write refuses the stale copy and the entry is dropped.

use std::collections::HashMap;

use rusqlite::Connection;
use sluice_domain::{EnvironmentId, Flow, FlowId};
use sluice_store::StoreResult;

use crate::native::load_flow;

/// Beyond this many flows the memory starts over (about 3 KiB each).
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub(crate) struct FlowCache {
    committed: HashMap<FlowId, Flow>,
    /// Written by the batch in progress, not yet committed.
    pending: HashMap<FlowId, Flow>,
}

impl FlowCache {
    /// The flow as this batch would read it: its own writes first, then committed ones,
    /// then the row. Another environment's flow is absent, as everywhere else.
    pub(crate) fn current(
        &self,
        conn: &Connection,
        env: EnvironmentId,
        id: FlowId,
    ) -> StoreResult<Option<Flow>> {
        match self.pending.get(&id).or_else(|| self.committed.get(&id)) {
            Some(flow) => Ok((flow.environment_id == env).then(|| flow.clone())),
            None => load_flow(conn, env, id),
        }
    }

    /// A job of the batch wrote `flow` and its savepoint was released.
    pub(crate) fn wrote(&mut self, flow: Flow) {
        self.pending.insert(flow.id, flow);
    }

    /// The row may differ from what is remembered (a refused, conflicting write).
    pub(crate) fn forget(&mut self, id: FlowId) {
        self.pending.remove(&id);
        self.committed.remove(&id);
    }

    pub(crate) fn batch_committed(&mut self) {
        if self.committed.len() + self.pending.len() > CAPACITY {
            self.committed.clear();
        }
        self.committed.extend(self.pending.drain());
    }

    pub(crate) fn batch_failed(&mut self) {
        self.pending.clear();
        self.committed.clear();
    }
}
