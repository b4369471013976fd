//! The Sluice server as a library, so that integration tests boot it exactly as `sluice serve`
//! does ([`run`]) on a random port with a fresh database and an injected clock. The `sluice`
//! binary is a thin command-line front over it.
//!
//! Modules import only downward (docs/ARCHITECTURE.md draws the layers): `config` imports
//! nothing from the server; the services (`chains`, `payments`, `webhooks`, `rate_limit`, …)
//! only `config`; `state` holds them; `lifecycle` owns every change of a flow; `http` and
//! `workers` sit on top of those; `startup`, `cli` and `run` wire everything together.
#![forbid(unsafe_code)]

pub mod chains;
pub mod cli;
pub mod config;
pub mod connections;
pub mod console;
pub mod env_cache;
pub mod error;
pub mod host_lookup;
pub mod http;
pub mod ip_policy;
pub mod lifecycle;
pub mod metrics;
pub mod payments;
pub mod provision;
pub mod public_url;
pub mod rate_limit;
pub mod startup;
pub mod state;
pub mod store;
pub mod token_use;
pub mod webhook_url;
pub mod webhooks;
pub mod workers;

pub use http::openapi;
pub use http::{router, serve};
pub use state::AppState;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use workers::chain_watch::ChainWatcher;
use workers::delivery::DeliveryWorker;
use workers::expiry::ExpirySweeper;

/// How [`run`] runs the background workers.
pub enum Workers {
    /// Each in its own task, as `sluice serve` runs them.
    Background {
        /// Pause of the expiry sweeper between steps.
        expiry_interval: Duration,
    },
    /// None: the caller steps them (tests, with a manual clock).
    Stepped,
}

/// Serves the application on `listener` with its workers until `shutdown` is cancelled, then
/// finishes the requests in flight and stops the workers.
pub async fn run(
    listener: tokio::net::TcpListener,
    app: AppState,
    workers: Workers,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let tasks = match workers {
        Workers::Background { expiry_interval } => spawn_workers(&app, expiry_interval, &shutdown),
        Workers::Stepped => Vec::new(),
    };
    let served = serve(listener, app, shutdown.clone()).await;
    shutdown.cancel();
    for task in tasks {
        task.await.map_err(std::io::Error::other)?;
    }
    served
}

fn spawn_workers(
    app: &AppState,
    expiry_interval: Duration,
    shutdown: &CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let every = Duration::from_secs;
    let config = &app.config;
    vec![
        tokio::spawn(workers::run(
            ExpirySweeper::new(app.clone()),
            expiry_interval,
            shutdown.clone(),
        )),
        tokio::spawn(workers::dispatch::run(
            Arc::new(DeliveryWorker::new(app.clone())),
            every(config.webhooks.worker_interval_secs),
            shutdown.clone(),
        )),
        tokio::spawn(workers::run(
            ChainWatcher::new(app.clone()),
            every(config.deposits.interval_secs),
            shutdown.clone(),
        )),
        tokio::spawn(prune_rate_limits(app.clone(), shutdown.clone())),
    ]
}

/// Forgets rate-limit keys that have recovered, so that memory follows current traffic.
async fn prune_rate_limits(app: AppState, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(rate_limit::PRUNE_INTERVAL) => app.rate_limits.prune(),
        }
    }
}
