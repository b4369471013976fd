//! Shared test helpers.
pub mod litecoin;
