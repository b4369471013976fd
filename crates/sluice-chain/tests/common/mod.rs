//! Shared test helpers.
pub mod litecoin;
pub mod tron_sdk;
