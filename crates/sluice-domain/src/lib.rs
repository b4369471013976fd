//! The pure core of Sluice: what a flow is, which states it may move between, and how the
//! values that arrive over the wire become typed, valid domain values.
//!
//! Nothing in this crate touches a database, the network or the clock directly (time is
//! passed in; the only side effect is drawing random bytes for new secrets), so every rule
//! here can be unit- and property-tested in isolation.
#![forbid(unsafe_code)]

pub mod address;
pub mod attach;
pub mod chain;
pub mod create;
pub mod deposit_key;
pub mod deposit_transfer;
pub mod display_name;
pub mod event;
pub mod flow;
pub mod ids;
pub mod memo;
pub mod money;
#[cfg(feature = "openapi")]
mod openapi;
pub mod origin;
pub mod payment_requests;
pub mod request;
pub mod state;
pub mod time;
pub mod token;
pub mod transitions;

pub use chain::ChainName;
pub use event::FlowEvent;
pub use flow::Flow;
pub use ids::{EnvironmentId, FlowId};
pub use state::{ExecutionState, FlowMode, RiskState, SettlementState, SourceType};
pub use time::{Clock, ManualClock, SystemClock, Timestamp};
pub use token::TokenHash;
