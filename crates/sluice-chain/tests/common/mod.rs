//! Shared test helpers.
#![allow(dead_code)] // each test binary uses part of the helpers
pub mod litecoin;
pub mod tron_sdk;
