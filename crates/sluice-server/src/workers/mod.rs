//! Background workers. Each exposes one step, `run_once`, that does a bounded amount of work
//! and says whether it found any; the loop around it only decides when to step again. Tests
//! step workers to idle instead of sleeping. The webhook delivery worker has its own loop
//! (`dispatch.rs`): its sends finish at different times, and it claims more as each finishes.

pub mod chain_watch;
pub mod delivery;
pub mod dispatch;
pub mod expiry;

use std::time::Duration;

use sluice_store::StoreError;
use tokio_util::sync::CancellationToken;

/// A background worker: one bounded step at a time.
pub trait Worker: Send + Sync {
    /// For log lines.
    const NAME: &'static str;

    fn run_once(&self) -> impl std::future::Future<Output = Result<Step, StoreError>> + Send;

    /// Called once when the loop stops (after its last step has finished): give up what
    /// other instances are waiting for, such as a lease.
    fn stop(&self) -> impl std::future::Future<Output = ()> + Send {
        async {}
    }
}

/// Steps `worker` until cancelled: again at once after work, after `interval` when idle or
/// after an error (which is logged and retried, never fatal); then stops it.
pub async fn run<W: Worker>(worker: W, interval: Duration, shutdown: CancellationToken) {
    loop {
        let pause = match worker.run_once().await {
            Ok(Step::Worked(_)) => Duration::ZERO,
            Ok(Step::Idle) => interval,
            Err(e) => {
                tracing::warn!(worker = W::NAME, error = %e, "worker step failed; retrying");
                interval
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
    worker.stop().await;
}

/// What one step of a worker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// It did this much work; step again at once.
    Worked(usize),
    /// Nothing to do; wait for the next tick.
    Idle,
}
