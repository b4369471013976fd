//! Payments: what a payer's quote and prepare need beyond the flow itself — planning a direct
//! quote (`quoting`), pricing (`pricing`), the unsigned transaction (`signing`) and exchange
//! purchase links (`exchanges`). It sits below the application state and the HTTP edge: its
//! functions take the services they use, and its refusals are a [`PaymentError`] that the
//! HTTP edge maps to the spec's error codes.

pub mod exchanges;
pub mod pricing;
pub mod quoting;
pub mod signing;

use sluice_domain::{Flow, Timestamp};

use crate::chains::{ChainRuntime, Chains};
use pricing::PriceSource;

/// The services a quote is planned with.
pub struct Payments<'a> {
    pub chains: &'a Chains,
    pub prices: &'a PriceSource,
    /// How long a wallet quote holds (`[quotes] ttl_secs`).
    pub quote_ttl_secs: i64,
}

/// Why a quote or prepare was refused. Each maps to one error code of spec §7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentError {
    /// `validation_failed` on one field.
    Invalid {
        field: String,
        code: &'static str,
        message: String,
    },
    /// `invalid_request`: the flow is not in a shape this request can use.
    BadRequest(String),
    /// `no_route`, with the direct provider's reason.
    NoRoute(String),
    SwapsDisabled(String),
    ChainNotConfigured(String),
    /// `chain_unavailable`: the node (or the price feed) did not answer, or has not proven
    /// its network.
    ChainUnavailable(String),
    InsufficientBalance {
        asset: String,
        required: u128,
        available: u128,
    },
}

impl PaymentError {
    pub fn invalid(field: &str, code: &'static str, message: &str) -> Self {
        Self::Invalid {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// `Ok` once the chain's node has proven it serves the configured chain (spec §10.4), else
/// `chain_unavailable`: nothing is quoted or signed on it until then.
pub async fn usable(chain: &ChainRuntime, now: Timestamp) -> Result<(), PaymentError> {
    chain.ensure_proven(now).await.map_err(|identity| {
        PaymentError::ChainUnavailable(format!(
            "Chain {} is not available: its node has not proven it serves this chain ({}); nothing is quoted or signed on it until it does.",
            chain.config.chain_id,
            identity.describe()
        ))
    })
}

/// The transfer a flow's quote asks for: from the attached wallet to the destination, in the
/// quoted token (`None`: the native token). What prepare builds and settlement checks; a
/// missing field is empty and matches nothing.
pub struct QuotedTransfer<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub token: Option<&'a str>,
}

pub fn quoted_transfer(flow: &Flow) -> QuotedTransfer<'_> {
    QuotedTransfer {
        from: flow
            .source
            .as_ref()
            .and_then(|s| s.from_address.as_deref())
            .unwrap_or_default(),
        to: flow.to_address.as_deref().unwrap_or_default(),
        token: flow
            .to_token
            .as_deref()
            .filter(|t| !quoting::is_native_token(t)),
    }
}
