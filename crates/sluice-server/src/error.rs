//! The one error type at the HTTP edge. Every failure leaves as the spec's envelope
//! `{"error": "<sentence>", "code": "<stable_code>", "payload"?: {…}}`; internal failures are
//! logged once, here, and answered with a bare `internal` that reveals nothing.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sluice_domain::request::{FieldError, RequestError};
use sluice_domain::transitions::Rejection;
use sluice_store::StoreError;

/// Whether `error`, or any error in its chain of sources, is a `T`: how a cause wrapped by
/// hyper, reqwest or axum (a refused address, a body over the limit) is recognised.
pub fn caused_by<T: std::error::Error + 'static>(
    error: &(dyn std::error::Error + 'static),
) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<T>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// Every stable code this server answers with, and its status (spec §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    Unauthorized,
    InvalidSessionToken,
    Forbidden,
    OriginNotAllowed,
    FlowSourceBlocked,
    FlowNotFound,
    FlowInvalidTransition,
    ValidationFailed,
    ChainNotEnabled,
    ExchangeNotConfigured,
    IdempotencyKeyReused,
    IdempotencyKeyInUse,
    QuoteExpired,
    RiskNotCleared,
    ChainNotConfigured,
    SwapsDisabled,
    NoRoute,
    InsufficientBalance,
    ChainUnavailable,
    ExchangeUnavailable,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    RequestTimeout,
    RateLimited,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 27] = [
        Self::InvalidRequest,
        Self::Unauthorized,
        Self::InvalidSessionToken,
        Self::Forbidden,
        Self::OriginNotAllowed,
        Self::FlowSourceBlocked,
        Self::FlowNotFound,
        Self::FlowInvalidTransition,
        Self::ValidationFailed,
        Self::ChainNotEnabled,
        Self::ExchangeNotConfigured,
        Self::IdempotencyKeyReused,
        Self::IdempotencyKeyInUse,
        Self::QuoteExpired,
        Self::RiskNotCleared,
        Self::ChainNotConfigured,
        Self::SwapsDisabled,
        Self::NoRoute,
        Self::InsufficientBalance,
        Self::ChainUnavailable,
        Self::ExchangeUnavailable,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::PayloadTooLarge,
        Self::RequestTimeout,
        Self::RateLimited,
        Self::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::Unauthorized => "unauthorized",
            Self::InvalidSessionToken => "invalid_session_token",
            Self::Forbidden => "forbidden",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::FlowSourceBlocked => "flow_source_blocked",
            Self::FlowNotFound => "flow_not_found",
            Self::FlowInvalidTransition => "flow_invalid_transition",
            Self::ValidationFailed => "validation_failed",
            Self::ChainNotEnabled => "chain_not_enabled",
            Self::ExchangeNotConfigured => "exchange_not_configured",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyKeyInUse => "idempotency_key_in_use",
            Self::QuoteExpired => "quote_expired",
            Self::RiskNotCleared => "risk_not_cleared",
            Self::ChainNotConfigured => "chain_not_configured",
            Self::ExchangeUnavailable => "exchange_unavailable",
            Self::SwapsDisabled => "swaps_disabled",
            Self::NoRoute => "no_route",
            Self::InsufficientBalance => "insufficient_balance",
            Self::ChainUnavailable => "chain_unavailable",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RequestTimeout => "request_timeout",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::InvalidSessionToken => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::OriginNotAllowed | Self::FlowSourceBlocked => {
                StatusCode::FORBIDDEN
            }
            Self::FlowNotFound | Self::NotFound => StatusCode::NOT_FOUND,
            Self::FlowInvalidTransition
            | Self::IdempotencyKeyInUse
            | Self::QuoteExpired
            | Self::RiskNotCleared => StatusCode::CONFLICT,
            Self::ValidationFailed
            | Self::ChainNotEnabled
            | Self::ExchangeNotConfigured
            | Self::IdempotencyKeyReused
            | Self::ChainNotConfigured
            | Self::SwapsDisabled
            | Self::NoRoute
            | Self::InsufficientBalance => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::ChainUnavailable | Self::ExchangeUnavailable => StatusCode::BAD_GATEWAY,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn from_str(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == code)
            .unwrap_or(Self::ValidationFailed)
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub payload: Option<Value>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            payload: None,
        }
    }

    pub fn with_payload(mut self, payload: Value) -> Self {
        self.payload = Some(payload);
        self
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            ErrorCode::Unauthorized,
            "A valid API token is required: send `Authorization: Bearer slc_…`.",
        )
    }

    pub fn invalid_session_token() -> Self {
        Self::new(
            ErrorCode::InvalidSessionToken,
            "The session token is missing, wrong or no longer valid; attach a source again to get a new one.",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn flow_not_found() -> Self {
        Self::new(ErrorCode::FlowNotFound, "No such flow in this environment.")
    }

    /// A 422 listing every offending field; the top-level code follows spec §6 step 3.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let code = ErrorCode::from_str(sluice_domain::attach::top_level_code(&errors));
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        let message = format!("The request breaks the rules for: {}.", fields.join(", "));
        Self::new(code, message).with_payload(json!({ "errors": errors }))
    }

    /// Logs an internal failure once and hides it from the caller.
    pub fn internal(error: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %error, source = ?error.source(), "internal error");
        Self::new(
            ErrorCode::Internal,
            "Internal error; nothing was changed. Retry later.",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Self::internal(&e)
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Malformed(message) => Self::invalid_request(message),
            RequestError::Invalid(errors) => Self::validation(errors),
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::NotFound => Self::flow_not_found(),
            Rejection::InvalidSessionToken => Self::invalid_session_token(),
            Rejection::QuoteExpired => Self::new(ErrorCode::QuoteExpired, "The quote has expired; request a new one."),
            Rejection::RiskNotCleared => Self::new(
                ErrorCode::RiskNotCleared,
                "The source has not cleared screening, so no transaction can be prepared for it.",
            ),
            Rejection::SourceBlocked => Self::new(ErrorCode::FlowSourceBlocked, "The source address failed screening.")
                .with_payload(json!({ "reason": "sanctions_blocked" })),
            Rejection::DepositUnavailable(message) => Self::new(ErrorCode::ChainNotConfigured, message),
            Rejection::AlreadyRecorded => Self::new(ErrorCode::FlowInvalidTransition, "This change was already made."),
            Rejection::InvalidTransition { execution, settlement, risk } => Self::new(
                ErrorCode::FlowInvalidTransition,
                format!("This action is not allowed while the flow is {execution} (settlement {settlement})."),
            )
            .with_payload(json!({
                "executionState": execution,
                "settlementState": settlement,
                "riskState": risk,
            })),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.message, "code": self.code.as_str() });
        if let Some(payload) = self.payload {
            body["payload"] = payload;
        }
        let mut response = (self.code.status(), body.to_string()).into_response();
        // For the request log line (`http/ops.rs`), which never sees the body.
        response.extensions_mut().insert(self.code);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert_eq!(ErrorCode::from_str(code.as_str()), code);
        }
    }
}
