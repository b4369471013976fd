//! API-token authentication for server routes, in the spec's order: the token (401
//! `unauthorized`), then its environment and scope (403 `forbidden`). Tokens are looked up by
//! their SHA-256, so the comparison leaks nothing through timing.

use axum::http::{HeaderMap, header};
use sluice_domain::{EnvironmentId, FlowId, TokenHash};
use sluice_store::ApiTokenRecord;

use crate::AppState;
use crate::error::ApiError;

pub async fn authorize(
    app: &AppState,
    headers: &HeaderMap,
    environment: EnvironmentId,
    scope: &str,
) -> Result<ApiTokenRecord, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.starts_with(sluice_domain::token::API_TOKEN_PREFIX))
        .ok_or_else(ApiError::unauthorized)?;
    let record = app.store.api_token(&TokenHash::of(token)).await?;
    let record = record
        .filter(|r| r.revoked_at.is_none())
        .ok_or_else(ApiError::unauthorized)?;
    if record.environment_id != environment {
        return Err(ApiError::forbidden(
            "This API token belongs to another environment.",
        ));
    }
    if !record.has_scope(scope) {
        return Err(ApiError::forbidden(format!(
            "This API token lacks the `{scope}` scope."
        )));
    }
    app.token_uses
        .note(&app.store, record.hash, app.clock.now());
    Ok(record)
}

pub fn parse_environment_id(s: &str) -> Result<EnvironmentId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::invalid_request("environmentId must be a lowercase UUID"))
}

pub fn parse_flow_id(s: &str) -> Result<FlowId, ApiError> {
    s.parse()
        .map_err(|_| ApiError::invalid_request("flowId must be a lowercase UUID"))
}
