//! The expiry sweeper. Reads already show an overdue pre-broadcast flow as `expired`; the
//! sweeper writes that down (through the lifecycle, so the token dies and the event is stored)
//! and drops idempotent answers older than 24 h. Safe with several instances: each expiry is a
//! state-guarded transition, so a flow another instance already expired is simply skipped.

use super::Step;
use crate::AppState;
use crate::lifecycle;

const BATCH: u32 = 200;

pub struct ExpirySweeper {
    app: AppState,
}

impl ExpirySweeper {
    pub fn new(app: AppState) -> Self {
        Self { app }
    }

    pub async fn run_once(&self) -> Result<Step, sluice_store::StoreError> {
        crate::metrics::worker_stepped("expiry_sweeper");
        let now = self.app.clock.now();
        let store = self.app.store.as_ref();
        let due = store.overdue_flows(now, BATCH).await?;
        let mut expired = 0;
        for (env, id) in &due {
            if lifecycle::expire(store, *env, *id, now).await?.is_ok() {
                expired += 1;
                tracing::info!(flow.id = %id, env.id = %env, "flow expired");
            }
        }
        let purged = store
            .purge_idempotency_keys(now.plus_seconds(-24 * 3600))
            .await?;
        if due.is_empty() && purged == 0 {
            Ok(Step::Idle)
        } else {
            Ok(Step::Worked(expired + purged as usize))
        }
    }
}

impl super::Worker for ExpirySweeper {
    const NAME: &'static str = "expiry_sweeper";

    async fn run_once(&self) -> Result<Step, sluice_store::StoreError> {
        ExpirySweeper::run_once(self).await
    }
}
