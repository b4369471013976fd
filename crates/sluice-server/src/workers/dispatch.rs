//! The webhook delivery worker's production loop. The step loop in `mod.rs` waits for a whole
//! step, and a step that waits for all its sends waits for the slowest: one endpoint that
//! hangs until the request timeout would hold back every other environment's webhooks. Here
//! each send runs on its own, up to `webhooks.max_in_flight` at once, and every finished send
//! frees its slot and wakes the loop to claim more; the claim itself keeps any one endpoint
//! to `webhooks.max_in_flight_per_endpoint` (across instances), so a hanging endpoint holds a
//! few slots and everyone else's deliveries flow through the rest.

use std::sync::Arc;
use std::time::Duration;

use sluice_store::StoreError;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use super::delivery::DeliveryWorker;

/// Extra time given to the last sends at shutdown, beyond their request timeout, to record
/// their attempts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Keeps the sending slots full until cancelled: claims as many due deliveries as there are
/// free slots, then waits for a send to finish (and claims again at once), or for `interval`
/// when nothing was due. At shutdown, sends already started get their request timeout to
/// finish; any still running after that are dropped, and their leases make them due again
/// on another instance or after a restart (at least once, with the same `webhook-id`).
pub async fn run(worker: Arc<DeliveryWorker>, interval: Duration, shutdown: CancellationToken) {
    let max = worker.max_in_flight();
    let mut sending: JoinSet<Result<(), StoreError>> = JoinSet::new();
    loop {
        let free = max.saturating_sub(sending.len());
        if free > 0 {
            claim_into(&worker, free, &mut sending).await;
        } else {
            // Every slot busy is a live worker too (the lag alert must not fire on it).
            crate::metrics::worker_stepped("webhook_delivery");
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            Some(done) = sending.join_next(), if !sending.is_empty() => {
                report(done);
                // Everything else that finished meanwhile frees its slot for the same claim.
                while let Some(done) = sending.try_join_next() {
                    report(done);
                }
            }
            () = tokio::time::sleep(interval), if sending.len() < max => {}
        }
    }
    let last = async {
        while let Some(done) = sending.join_next().await {
            report(done);
        }
    };
    if tokio::time::timeout(worker.request_timeout() + SHUTDOWN_GRACE, last)
        .await
        .is_err()
    {
        tracing::warn!(
            worker = "webhook_delivery",
            "sends still running at shutdown were dropped; they are retried when their lease ends"
        );
    }
}

/// Claims up to `free` deliveries and starts a send for each.
async fn claim_into(
    worker: &Arc<DeliveryWorker>,
    free: usize,
    sending: &mut JoinSet<Result<(), StoreError>>,
) {
    match worker.claim(free).await {
        Ok(claimed) => {
            for delivery in claimed {
                let worker = Arc::clone(worker);
                sending.spawn(async move { worker.deliver(&delivery).await });
            }
        }
        // Logged, then retried on the next wake-up: a database hiccup is never fatal.
        Err(e) => {
            tracing::warn!(worker = "webhook_delivery", error = %e, "claiming deliveries failed; retrying");
        }
    }
    metrics::gauge!("sluice_webhook_in_flight")
        .set(u32::try_from(sending.len()).unwrap_or(u32::MAX));
}

/// Logs a send that could not record its attempt (its lease ends and it is sent again).
fn report(done: Result<Result<(), StoreError>, JoinError>) {
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(
            worker = "webhook_delivery",
            error = %e,
            "recording a delivery attempt failed; it is retried when its lease ends"
        ),
        Err(e) => {
            tracing::error!(worker = "webhook_delivery", error = %e, "a delivery send panicked")
        }
    }
}
