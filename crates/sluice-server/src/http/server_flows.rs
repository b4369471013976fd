//! Server routes for flows (S1–S4), authenticated by API token. Answers carry the server view
//! of a flow, as a read at this moment would show it (an overdue flow is `expired`).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use data_encoding::BASE64URL_NOPAD;
use sluice_domain::create::parse_create;
use sluice_domain::memo::with_exact_memo;
use sluice_domain::request::parse_object;
use sluice_domain::{ExecutionState, Flow, FlowId, FlowMode, SettlementState, Timestamp};
use sluice_store::FlowQuery;

use super::body::PendingBody;
use super::idempotency;
use super::query::SingleQuery;
use super::server_auth::{authorize, parse_environment_id, parse_flow_id};
use crate::AppState;
use crate::error::ApiError;
use crate::lifecycle;

/// S1's answer. Flows are answered through structs, never `serde_json::Value`, so that the
/// memo is written exactly as it was sent.
#[derive(serde::Serialize)]
struct FlowAnswer<'a> {
    flow: &'a Flow,
}

/// S4's answer.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct FlowPage<'a> {
    flows: &'a [Flow],
    next_cursor: Option<String>,
}

/// S1 `POST /server/{environmentId}/flow/{mode}`.
#[utoipa::path(
    post,
    path = "/api/v0/server/{environmentId}/flow/{segment}",
    tag = "server",
    summary = "S1: create a flow",
    operation_id = "createFlow",
    params(crate::http::openapi::params::EnvironmentPath, ("segment" = inline(sluice_domain::FlowMode), Path, description = "The flow mode: `payment`, `deposit` or `withdraw` (an unknown mode is `400 invalid_request`)."), ("Idempotency-Key" = Option<String>, Header, description = "1–255 printable ASCII characters; the same key and body replay the stored answer for 24 h.")),
    request_body(content = crate::http::openapi::schemas::CreateFlowRequest, content_type = "application/json"),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        crate::http::openapi::responses::BodyErrors,
        (status = 201, description = "The new flow (server view).", body = crate::http::openapi::schemas::FlowCreated),
        (status = 409, description = "`idempotency_key_in_use`: a request with this key is still running.", body = crate::http::openapi::schemas::Error),
        (status = 422, description = "`validation_failed` (field paths such as `settlementConfig.settlements[0].chainId`) or `idempotency_key_reused`.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn create(
    State(app): State<AppState>,
    Path((environment, mode)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: PendingBody,
) -> Result<Response, ApiError> {
    let environment = parse_environment_id(&environment)?;
    let mode: FlowMode = mode.parse().map_err(|()| {
        ApiError::invalid_request(format!(
            "unknown flow mode; use one of: {}",
            FlowMode::spellings()
        ))
    })?;
    authorize(&app, &headers, environment, "flow.write").await?;
    let body = body.read(&app).await?;
    let now = app.clock.now();
    let key = idempotency::key_from_headers(&headers, environment, uri.path())?;
    if let Some(key) = &key
        && let Some(replay) = idempotency::claim(&app, key, &body, now).await?
    {
        return Ok(replay);
    }
    let parsed =
        parse_object(&body, false).and_then(|map| parse_create(&map, mode, environment, now));
    let flow = match parsed.map(|flow| with_exact_memo(flow, &body)) {
        Ok(flow) => flow,
        Err(refusal) => {
            return idempotency::answer_refusal(&app, key, refusal.into(), now).await;
        }
    };
    let body =
        serde_json::to_string(&FlowAnswer { flow: &flow }).map_err(|e| ApiError::internal(&e))?;
    let created = idempotency::insert_created(&app, &flow, key, body, now).await?;
    tracing::info!(flow.id = %flow.id, env.id = %environment, flow.mode = %mode, "flow created");
    Ok(created)
}

/// S2 `GET /server/{environmentId}/flow/{flowId}`.
#[utoipa::path(
    get,
    path = "/api/v0/server/{environmentId}/flow/{segment}",
    tag = "server",
    summary = "S2: read a flow (server view)",
    operation_id = "getServerFlow",
    params(crate::http::openapi::params::EnvironmentPath, ("segment" = inline(sluice_domain::FlowId), Path, description = "The flow's ID (lowercase UUID).")),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        (status = 200, description = "The server view, as a read now would show it (an overdue flow is `expired`).", body = sluice_domain::Flow),
        (status = 404, description = "`flow_not_found`: unknown flow, or another environment's.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn get(
    State(app): State<AppState>,
    Path((environment, flow)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Flow>, ApiError> {
    let environment = parse_environment_id(&environment)?;
    let flow = parse_flow_id(&flow)?;
    authorize(&app, &headers, environment, "flow.read").await?;
    let found = app
        .store
        .flow(environment, flow)
        .await?
        .ok_or_else(ApiError::flow_not_found)?;
    Ok(Json(found.observed(app.clock.now())))
}

/// S3 `POST /server/{environmentId}/flow/{flowId}/cancel`: only from `initiated`.
#[utoipa::path(
    post,
    path = "/api/v0/server/{environmentId}/flow/{flowId}/cancel",
    tag = "server",
    summary = "S3: cancel a flow not yet started",
    operation_id = "cancelServerFlow",
    params(crate::http::openapi::params::FlowPath),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        (status = 200, description = "The cancelled flow (server view).", body = sluice_domain::Flow),
        (status = 404, description = "`flow_not_found`: unknown flow, or another environment's.", body = crate::http::openapi::schemas::Error),
        (status = 409, description = "`flow_invalid_transition`: the flow's state does not allow this; `payload` holds its three states.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn cancel(
    State(app): State<AppState>,
    Path((environment, flow)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Flow>, ApiError> {
    let environment = parse_environment_id(&environment)?;
    let flow = parse_flow_id(&flow)?;
    authorize(&app, &headers, environment, "flow.write").await?;
    let cancelled =
        lifecycle::server_cancel(app.store.as_ref(), environment, flow, app.clock.now()).await??;
    tracing::info!(flow.id = %flow, env.id = %environment, "flow cancelled by the merchant");
    Ok(Json(cancelled))
}

/// S4 `GET /server/{environmentId}/flows`: keyset pagination, newest first.
#[utoipa::path(
    get,
    path = "/api/v0/server/{environmentId}/flows",
    tag = "server",
    summary = "S4: list flows, newest first",
    operation_id = "listFlows",
    params(crate::http::openapi::params::EnvironmentPath, ("cursor" = Option<String>, Query, description = "`nextCursor` of the previous page."), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, default 20."), ("executionState" = Option<sluice_domain::ExecutionState>, Query), ("settlementState" = Option<sluice_domain::SettlementState>, Query), ("mode" = Option<sluice_domain::FlowMode>, Query), ("userId" = Option<String>, Query, description = "Extension: only the flows created with this `userId`."), ("updatedSince" = Option<String>, Query, description = "Extension: incremental sync. The flows changed at or after this RFC 3339 time, oldest change first (`updatedAt`, then ID), changes younger than 5 s left for the next page; `nextCursor` is never null (an empty page means caught up). Not combinable with the filters.")),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        (status = 200, description = "One page of flows.", body = crate::http::openapi::schemas::FlowPage),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    Path(environment): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let environment = parse_environment_id(&environment)?;
    authorize(&app, &headers, environment, "flow.read").await?;
    let params = SingleQuery::parse(uri.query().unwrap_or_default())?;
    let query = list_query(&params.0)?;
    if let Some(since) = params.0.get("updatedSince") {
        let (flows, cursor) =
            super::flow_sync::page(&app, environment, &params.0, since, query.limit).await?;
        let page = FlowPage {
            flows: &flows,
            next_cursor: Some(cursor),
        };
        return Ok(Json(page).into_response());
    }
    let now = app.clock.now();
    let mut page_query = query.clone();
    page_query.limit = query.limit + 1;
    let mut flows = app.store.list_flows(environment, &page_query, now).await?;
    let next_cursor = if flows.len() > query.limit as usize {
        flows.truncate(query.limit as usize);
        flows.last().map(|f| encode_cursor(f.created_at, f.id))
    } else {
        None
    };
    let flows: Vec<Flow> = flows.into_iter().map(|f| f.observed(now)).collect();
    let page = FlowPage {
        flows: &flows,
        next_cursor,
    };
    Ok(Json(page).into_response())
}

fn list_query(params: &HashMap<String, String>) -> Result<FlowQuery, ApiError> {
    let limit = match params.get("limit") {
        None => 20,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| ApiError::invalid_request("limit must be an integer from 1 to 100"))?,
    };
    let execution_state = enum_param(params, "executionState", ExecutionState::spellings)?;
    let settlement_state = enum_param(params, "settlementState", SettlementState::spellings)?;
    let mode = enum_param(params, "mode", FlowMode::spellings)?;
    let user_id = params.get("userId").cloned();
    if user_id
        .as_ref()
        .is_some_and(|u| u.is_empty() || u.len() > 255)
    {
        return Err(ApiError::invalid_request(
            "userId must be 1 to 255 characters",
        ));
    }
    // A sync page reads its own cursor (flow_sync.rs).
    let after = match params.get("updatedSince") {
        Some(_) => None,
        None => params.get("cursor").map(|c| decode_cursor(c)).transpose()?,
    };
    Ok(FlowQuery {
        execution_state,
        settlement_state,
        mode,
        user_id,
        after,
        limit,
    })
}

/// An optional query parameter holding one of an enum's spellings.
fn enum_param<T: std::str::FromStr>(
    params: &HashMap<String, String>,
    name: &str,
    spellings: fn() -> String,
) -> Result<Option<T>, ApiError> {
    params
        .get(name)
        .map(|s| {
            s.parse::<T>().map_err(|_| {
                ApiError::invalid_request(format!("{name} must be one of: {}", spellings()))
            })
        })
        .transpose()
}

/// Cursors are opaque to clients: base64url of `createdAt-millis.flowId`.
fn encode_cursor(created_at: Timestamp, id: FlowId) -> String {
    BASE64URL_NOPAD.encode(format!("{}.{id}", created_at.millis()).as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<(Timestamp, FlowId), ApiError> {
    let bad = || ApiError::invalid_request("cursor is not one this server issued");
    let bytes = BASE64URL_NOPAD
        .decode(cursor.as_bytes())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (millis, id) = text.split_once('.').ok_or_else(bad)?;
    Ok((
        Timestamp(millis.parse().map_err(|_| bad())?),
        id.parse().map_err(|_| bad())?,
    ))
}
