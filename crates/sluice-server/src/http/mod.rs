//! HTTP handlers, one file per resource, and the pieces they share.

pub mod body;
pub mod idempotency;
pub mod ops;
pub mod payer;
pub mod payer_exchanges;
pub mod payer_flows;
pub mod payer_options;
pub mod payer_payment;
pub mod payment_links;
pub mod query;
pub mod server_auth;
pub mod server_flows;
pub mod webhook_deliveries;
pub mod webhooks;
