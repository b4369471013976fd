//! Webhook endpoints (S6), authenticated by an API token with `webhook.write`: create (which
//! sends a `ping`), list, get, update, delete and rotate the secret. Secrets appear only in
//! the answers to create and rotate. Deliveries are in `webhook_deliveries.rs`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use sluice_domain::EnvironmentId;
use sluice_domain::request::{FieldErrors, Fields, parse_object};
use sluice_store::{Delivery, EVENT_TYPES, WebhookEndpoint};

use super::body::PendingBody;
use super::server_auth::{authorize, parse_environment_id};
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::webhook_url;

fn endpoint_json(e: &WebhookEndpoint) -> Value {
    json!({"id": e.id, "url": e.url, "eventTypes": e.event_types, "enabled": e.enabled, "createdAt": e.created_at, "updatedAt": e.updated_at})
}

pub(super) async fn gate(
    app: &AppState,
    headers: &HeaderMap,
    environment: &str,
) -> Result<EnvironmentId, ApiError> {
    let environment = parse_environment_id(environment)?;
    authorize(app, headers, environment, "webhook.write").await?;
    Ok(environment)
}

pub(super) fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "No such webhook endpoint or delivery in this environment.",
    )
}

/// Reads `url`, `eventTypes` and `enabled` into `endpoint`; `creating` makes `url` required.
/// The URL is checked by `webhook_url`, with a lookup of its host name.
async fn apply_body(
    app: &AppState,
    body: &[u8],
    endpoint: &mut WebhookEndpoint,
    creating: bool,
) -> Result<(), ApiError> {
    let map = parse_object(body, !creating)?;
    let f = Fields::root(&map);
    let mut errors = FieldErrors::default();
    match f.str("url")? {
        Some(url) => {
            let allow_private = app.config.webhooks.allow_private_urls;
            let checked = webhook_url::check_for_registration(url, allow_private, &*app.hosts);
            if let Err(problem) = checked.await {
                errors.push("url", problem.code, problem.message);
            }
            endpoint.url = url.to_owned();
        }
        None if creating => errors.push("url", "required", "is required"),
        None => {}
    }
    if map.contains_key("eventTypes") {
        let types = f.strings("eventTypes")?;
        for (i, t) in types.iter().flatten().enumerate() {
            if !EVENT_TYPES.contains(t) {
                errors.push(
                    format!("eventTypes[{i}]"),
                    "invalid_enum",
                    format!("must be one of: {}", EVENT_TYPES.join(", ")),
                );
            }
        }
        endpoint.event_types = types.map(|t| t.into_iter().map(str::to_owned).collect());
    }
    if let Some(enabled) = f.bool("enabled")? {
        endpoint.enabled = enabled;
    }
    errors.finish(|| ()).map_err(ApiError::from)
}

#[utoipa::path(
    post,
    path = "/api/v0/server/{environmentId}/webhooks",
    tag = "webhooks",
    summary = "Create a webhook endpoint",
    operation_id = "createWebhook",
    params(crate::http::openapi::params::EnvironmentPath),
    request_body(content = crate::http::openapi::schemas::WebhookCreate, content_type = "application/json"),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        crate::http::openapi::responses::BodyErrors,
        (status = 201, description = "The endpoint with its signing `secret` (shown once); a `ping` delivery is queued.", body = crate::http::openapi::schemas::WebhookEndpoint),
        (status = 422, description = "`validation_failed`: `payload.errors` names every bad field.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn create(
    State(app): State<AppState>,
    Path(environment): Path<String>,
    headers: HeaderMap,
    body: PendingBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let environment = gate(&app, &headers, &environment).await?;
    let body = body.read(&app).await?;
    let now = app.clock.now();
    let mut endpoint = WebhookEndpoint {
        id: sluice_domain::FlowId::new_random().to_string(),
        environment_id: environment,
        url: String::new(),
        event_types: None,
        enabled: true,
        secret_version: 1,
        created_at: now,
        updated_at: now,
    };
    apply_body(&app, &body, &mut endpoint, true).await?;
    let ping_id = sluice_domain::FlowId::new_random().to_string();
    let ping = json!({"type": "ping", "timestamp": now, "data": {"endpointId": endpoint.id, "environmentId": environment}});
    let delivery = Delivery::new(&endpoint, ping_id, "ping", ping.to_string(), now);
    app.store.create_endpoint(&endpoint, &delivery).await?;
    tracing::info!(env.id = %environment, webhook.id = %endpoint.id, "webhook endpoint created");
    let mut answer = endpoint_json(&endpoint);
    answer["secret"] = json!(
        app.webhook_key
            .endpoint_secret(&endpoint.id, endpoint.secret_version)
    );
    Ok((StatusCode::CREATED, Json(answer)))
}

#[utoipa::path(
    get,
    path = "/api/v0/server/{environmentId}/webhooks",
    tag = "webhooks",
    summary = "List webhook endpoints",
    operation_id = "listWebhooks",
    params(crate::http::openapi::params::EnvironmentPath),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        (status = 200, description = "Every endpoint of the environment.", body = crate::http::openapi::schemas::WebhookList),
    ),
)]
pub async fn list(
    State(app): State<AppState>,
    Path(environment): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let environment = gate(&app, &headers, &environment).await?;
    let endpoints: Vec<Value> = app
        .store
        .endpoints(environment)
        .await?
        .iter()
        .map(endpoint_json)
        .collect();
    Ok(Json(json!({ "webhooks": endpoints })))
}

pub(super) async fn load(
    app: &AppState,
    environment: EnvironmentId,
    id: &str,
) -> Result<WebhookEndpoint, ApiError> {
    app.store
        .endpoint(environment, id)
        .await?
        .ok_or_else(not_found)
}

#[utoipa::path(
    get,
    path = "/api/v0/server/{environmentId}/webhooks/{id}",
    tag = "webhooks",
    summary = "Read a webhook endpoint",
    operation_id = "getWebhook",
    params(crate::http::openapi::params::WebhookPath),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        (status = 200, description = "The endpoint (no secret).", body = crate::http::openapi::schemas::WebhookEndpoint),
        (status = 404, description = "`not_found`: no such webhook endpoint in this environment.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn get(
    State(app): State<AppState>,
    Path((environment, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let environment = gate(&app, &headers, &environment).await?;
    Ok(Json(endpoint_json(&load(&app, environment, &id).await?)))
}

#[utoipa::path(
    patch,
    path = "/api/v0/server/{environmentId}/webhooks/{id}",
    tag = "webhooks",
    summary = "Change a webhook endpoint",
    operation_id = "updateWebhook",
    params(crate::http::openapi::params::WebhookPath),
    request_body(content = crate::http::openapi::schemas::WebhookUpdate, content_type = "application/json"),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        crate::http::openapi::responses::BodyErrors,
        (status = 200, description = "The changed endpoint.", body = crate::http::openapi::schemas::WebhookEndpoint),
        (status = 404, description = "`not_found`: no such webhook endpoint in this environment.", body = crate::http::openapi::schemas::Error),
        (status = 422, description = "`validation_failed`: `payload.errors` names every bad field.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn update(
    State(app): State<AppState>,
    Path((environment, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: PendingBody,
) -> Result<Json<Value>, ApiError> {
    let environment = gate(&app, &headers, &environment).await?;
    let body = body.read(&app).await?;
    let mut endpoint = load(&app, environment, &id).await?;
    apply_body(&app, &body, &mut endpoint, false).await?;
    endpoint.updated_at = app.clock.now();
    app.store.update_endpoint(&endpoint).await?;
    Ok(Json(endpoint_json(&endpoint)))
}

#[utoipa::path(
    delete,
    path = "/api/v0/server/{environmentId}/webhooks/{id}",
    tag = "webhooks",
    summary = "Delete a webhook endpoint",
    operation_id = "deleteWebhook",
    params(crate::http::openapi::params::WebhookPath),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        (status = 200, description = "Deleted; pending deliveries to it are dropped.", body = crate::http::openapi::schemas::WebhookDeleted),
        (status = 404, description = "`not_found`: no such webhook endpoint in this environment.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn delete(
    State(app): State<AppState>,
    Path((environment, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let environment = gate(&app, &headers, &environment).await?;
    if !app.store.delete_endpoint(environment, &id).await? {
        return Err(not_found());
    }
    Ok(Json(json!({ "id": id, "deleted": true })))
}

#[utoipa::path(
    post,
    path = "/api/v0/server/{environmentId}/webhooks/{id}/rotate-secret",
    tag = "webhooks",
    summary = "Rotate an endpoint's signing secret",
    operation_id = "rotateWebhookSecret",
    params(crate::http::openapi::params::WebhookPath),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        (status = 200, description = "The endpoint with its new `secret`; the old one stops signing at once.", body = crate::http::openapi::schemas::WebhookEndpoint),
        (status = 404, description = "`not_found`: no such webhook endpoint in this environment.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn rotate_secret(
    State(app): State<AppState>,
    Path((environment, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let environment = gate(&app, &headers, &environment).await?;
    let mut endpoint = load(&app, environment, &id).await?;
    endpoint.secret_version += 1;
    endpoint.updated_at = app.clock.now();
    app.store.update_endpoint(&endpoint).await?;
    let mut answer = endpoint_json(&endpoint);
    answer["secret"] = json!(
        app.webhook_key
            .endpoint_secret(&endpoint.id, endpoint.secret_version)
    );
    Ok(Json(answer))
}
