//! Payer routes for flows (P1, P4, P8), behind the payer gate. Answers carry the payer view
//! (no `memo`, no `userId`).

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sluice_domain::address::screening_key;
use sluice_domain::attach::{AttachPolicy, parse_attach};
use sluice_domain::request::parse_object;
use sluice_domain::token::mint_session_token;
use sluice_domain::{Flow, Timestamp};
use utoipa::ToSchema;

use super::body::PendingBody;
use super::payer::{PayerContext, presented_token};
use crate::AppState;
use crate::error::ApiError;
use crate::lifecycle;

/// P1 `GET /sdk/{environmentId}/flow/{flowId}`: the payer view; unknown is `404`.
#[utoipa::path(
    get,
    path = "/api/v0/sdk/{environmentId}/flow/{flowId}",
    tag = "payer",
    summary = "P1: read the flow (payer view)",
    operation_id = "getFlow",
    params(crate::http::openapi::params::FlowPath),
    responses(
        crate::http::openapi::responses::PayerErrors,
        (status = 200, description = "The payer view: no `memo`, no `userId`.", body = sluice_domain::Flow),
    ),
)]
pub async fn get_flow(
    State(app): State<AppState>,
    Extension(ctx): Extension<PayerContext>,
) -> Result<Response, ApiError> {
    // The store may answer from the JSON it rendered for this version of the flow.
    let json = app
        .store
        .payer_view_json(ctx.environment.id, ctx.flow_id, app.clock.now())
        .await?
        .ok_or_else(ApiError::flow_not_found)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// P4 `POST /sdk/{environmentId}/flow/{flowId}/source` (spec §6): validate every field,
/// screen the addresses, then one guarded write that sets the source and rotates the token.
#[utoipa::path(
    post,
    path = "/api/v0/sdk/{environmentId}/flow/{flowId}/source",
    tag = "payer",
    summary = "P4: attach a funding source and get a session token",
    operation_id = "attachSource",
    params(crate::http::openapi::params::FlowPath),
    request_body(content = crate::http::openapi::schemas::AttachSourceRequest, content_type = "application/json"),
    responses(
        crate::http::openapi::responses::PayerErrors,
        crate::http::openapi::responses::BodyErrors,
        (status = 200, description = "The source is attached; the previous session token is dead.", body = SourceAttached),
        (status = 401, description = "`invalid_session_token`: re-attaching from `signing` without the live session token.", body = crate::http::openapi::schemas::Error),
        (status = 403, description = "`origin_not_allowed`, or `flow_source_blocked` (`payload.reason = sanctions_blocked`): nothing was saved.", body = crate::http::openapi::schemas::Error),
        (status = 409, description = "`flow_invalid_transition`: the flow's state does not allow this; `payload` holds its three states.", body = crate::http::openapi::schemas::Error),
        (status = 422, description = "`validation_failed`, `chain_not_enabled` or `exchange_not_configured`: `payload.errors` names every bad field.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn attach_source(
    State(app): State<AppState>,
    Extension(ctx): Extension<PayerContext>,
    headers: HeaderMap,
    body: PendingBody,
) -> Result<Json<SourceAttached>, ApiError> {
    let body = body.read(&app).await?;
    let map = parse_object(&body, false)?;
    let env = &ctx.environment;
    let configured_exchanges = app.exchanges.configured(env.id);
    let policy = AttachPolicy {
        enabled_chains: env.enabled_chains.as_deref(),
        configured_exchanges: &configured_exchanges,
    };
    let request = parse_attach(&map, policy)?;
    let keys: Vec<String> = request
        .screened_addresses()
        .into_iter()
        .map(screening_key)
        .collect();
    let token = mint_session_token();
    let now = app.clock.now();
    let attach = lifecycle::Attach {
        request,
        presented_token: presented_token(&headers),
        screening_keys: keys,
        new_token: token.hash,
    };
    let flow = lifecycle::attach(app.store.as_ref(), env.id, ctx.flow_id, attach, now).await??;
    tracing::info!(flow.id = %flow.id, env.id = %env.id, "source attached; session token rotated");
    Ok(Json(SourceAttached {
        session_token: token.secret,
        session_expires_at: flow.expires_at,
        flow: flow.payer_view(),
    }))
}

/// P4 answer: the new session token (shown once) and the payer view of the flow.
// Serialised straight from the flow, with no intermediate JSON tree.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceAttached {
    session_token: String,
    session_expires_at: Timestamp,
    flow: Flow,
}

/// P8 `POST /sdk/{environmentId}/flow/{flowId}/cancel`: any body is ignored.
#[utoipa::path(
    post,
    path = "/api/v0/sdk/{environmentId}/flow/{flowId}/cancel",
    tag = "payer",
    summary = "P8: cancel the flow",
    operation_id = "cancelFlow",
    params(crate::http::openapi::params::FlowPath),
    security(("sessionToken" = [])),
    responses(
        crate::http::openapi::responses::PayerErrors,
        (status = 200, description = "The cancelled flow (payer view).", body = sluice_domain::Flow),
        (status = 401, description = "`invalid_session_token`: no session token, or not the flow's live one.", body = crate::http::openapi::schemas::Error),
        (status = 409, description = "`flow_invalid_transition`: the flow's state does not allow this; `payload` holds its three states.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn cancel(
    State(app): State<AppState>,
    Extension(ctx): Extension<PayerContext>,
    headers: HeaderMap,
) -> Result<Json<Flow>, ApiError> {
    let token = presented_token(&headers).ok_or_else(ApiError::invalid_session_token)?;
    let flow = lifecycle::payer_cancel(
        app.store.as_ref(),
        ctx.environment.id,
        ctx.flow_id,
        token,
        app.clock.now(),
    )
    .await??;
    tracing::info!(flow.id = %flow.id, env.id = %ctx.environment.id, "flow cancelled by the payer");
    Ok(Json(flow.payer_view()))
}
