//! The payment services' refusals as the spec's errors (§7): each [`PaymentError`] is one
//! code, with the payload the contract gives it.

use serde_json::json;
use sluice_domain::request::FieldError;

use crate::error::{ApiError, ErrorCode};
use crate::payments::PaymentError;

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::Invalid {
                field,
                code,
                message,
            } => ApiError::validation(vec![FieldError {
                field,
                code,
                message,
            }]),
            PaymentError::BadRequest(message) => ApiError::invalid_request(message),
            PaymentError::NoRoute(reason) => ApiError::new(
                ErrorCode::NoRoute,
                "No route can pay this flow from that token and chain.",
            )
            .with_payload(json!({ "quoteFailures": [{ "provider": "direct", "reason": reason }] })),
            PaymentError::SwapsDisabled(message) => {
                ApiError::new(ErrorCode::SwapsDisabled, message)
            }
            PaymentError::ChainNotConfigured(message) => {
                ApiError::new(ErrorCode::ChainNotConfigured, message)
            }
            PaymentError::ChainUnavailable(message) => {
                ApiError::new(ErrorCode::ChainUnavailable, message)
            }
            PaymentError::InsufficientBalance {
                asset,
                required,
                available,
            } => ApiError::new(
                ErrorCode::InsufficientBalance,
                format!("The wallet holds too little {asset} for this payment."),
            )
            .with_payload(json!({ "asset": asset, "required": required.to_string(), "available": available.to_string() })),
        }
    }
}
