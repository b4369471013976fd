//! Error answers shared by many routes, so each route's entry lists only what is its own.
//! Descriptions name the stable codes (spec §7) a client branches on.
#![allow(dead_code)]

use utoipa::IntoResponses;

use super::schemas::Error;

/// What any payer route can answer besides its own outcomes.
#[derive(IntoResponses)]
pub enum PayerErrors {
    /// `invalid_request`: a malformed path ID, a body that is not JSON or a field of the wrong type.
    #[response(status = 400)]
    BadRequest(Error),
    /// `origin_not_allowed`: the `Origin` is not one of the environment's allowed origins.
    #[response(status = 403)]
    Forbidden(Error),
    /// `flow_not_found`: unknown environment, unknown flow, or another environment's flow.
    #[response(status = 404)]
    NotFound(Error),
    /// `rate_limited`: too many requests from this client or for this flow; see `Retry-After`.
    #[response(status = 429)]
    RateLimited(Error),
    /// `internal`: nothing was written; the details are in the server's log.
    #[response(status = 500)]
    Internal(Error),
}

/// What any API-token route can answer besides its own outcomes.
#[derive(IntoResponses)]
pub enum ServerErrors {
    /// `invalid_request`: a malformed path ID or query, a body that is not JSON, a field of the wrong type.
    #[response(status = 400)]
    BadRequest(Error),
    /// `unauthorized`: no API token, or an unknown or revoked one.
    #[response(status = 401)]
    Unauthorized(Error),
    /// `forbidden`: the token belongs to another environment or lacks the route's scope.
    #[response(status = 403)]
    Forbidden(Error),
    /// `internal`: nothing was written; the details are in the server's log.
    #[response(status = 500)]
    Internal(Error),
}

/// What a route that reads a request body can answer about the body itself.
#[derive(IntoResponses)]
pub enum BodyErrors {
    /// `request_timeout`: the body did not arrive within `http.body_read_timeout_secs`; the
    /// connection is closed (`Connection: close`).
    #[response(status = 408)]
    RequestTimeout(Error),
    /// `payload_too_large`: the body is over 64 KiB; the connection is closed.
    #[response(status = 413)]
    PayloadTooLarge(Error),
}
