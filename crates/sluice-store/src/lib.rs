//! The storage contract. The server depends only on [`Store`]; each backend (SQLite,
//! PostgreSQL) is its own crate with its own migrations, and one shared test suite runs
//! against both. Every method that changes a flow takes the complete change (new row, token
//! hash, outbox events) so that a backend can write it in one transaction.
#![forbid(unsafe_code)]

mod codec;
mod deposit;
mod deposit_store;
mod deposit_watch;
mod environment_store;
mod exchanges;
mod flow_store;
pub mod list_plan;
mod list_sql;
mod records;
mod webhook_store;
mod webhooks;

pub use codec::*;
pub use list_sql::{Dialect, Param, expiring_states as list_sql_states};

use async_trait::async_trait;
use sluice_domain::transitions::{Rejection, Transition};
use sluice_domain::{Flow, Timestamp};

pub use deposit::*;
pub use deposit_store::DepositStore;
pub use deposit_watch::*;
pub use environment_store::EnvironmentStore;
pub use exchanges::*;
pub use flow_store::FlowStore;
pub use records::*;
pub use webhook_store::WebhookStore;
pub use webhooks::*;

pub type StoreResult<T> = Result<T, StoreError>;

/// A flow's JSON, as the answer to a payer route carries it.
pub fn payer_json(payer_view: &Flow) -> bytes::Bytes {
    serde_json::to_vec(payer_view)
        .expect("a flow always serialises")
        .into()
}

/// An operation on one flow, run by the store against the row as it is inside the write
/// transaction (locked), so its decision cannot be overtaken by a concurrent writer.
/// `None` means the flow does not exist in that environment.
pub type FlowOp = Box<dyn FnOnce(Option<&Flow>) -> Result<Transition, Rejection> + Send>;

/// A [`FlowOp`] that is also told whether any of the request's screening keys is on the
/// environment's deny list.
pub type ScreenedOp = Box<dyn FnOnce(Option<&Flow>, bool) -> Result<Transition, Rejection> + Send>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Conflict(String),
}

#[async_trait]
pub trait Store: EnvironmentStore + FlowStore + WebhookStore + DepositStore {
    /// The backend's name, for logs and test output.
    fn backend(&self) -> &'static str;

    /// Cheap round trip, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;

    /// Takes the named lease for `holder` until `until` if it is free, expired or already
    /// `holder`'s; returns whether `holder` holds it now. Atomic across instances.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool>;

    /// Gives the named lease up if `holder` holds it, so that another instance can take it
    /// at once rather than after it expires (a server shutting down cleanly).
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;
}
