//! The Sluice server as a library, so that integration tests can boot the real router on a
//! random port with a fresh database and an injected clock. The `sluice` binary is a thin
//! command-line front over it.
#![forbid(unsafe_code)]

pub mod chains;
pub mod cli;
pub mod config;
pub mod connections;
pub mod deposit_cli;
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
pub mod webhook_url;
pub mod webhooks;
pub mod workers;

pub use http::openapi;
pub use http::{router, serve};
pub use state::AppState;
