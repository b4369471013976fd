//! Webhook deliveries (S6): an endpoint's deliveries with their attempts, and redelivering
//! one by hand. Same authentication as the endpoints (`webhook.write`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use sluice_domain::Timestamp;
use sluice_store::{Attempt, Delivery};

use super::webhooks::{gate, load, not_found};
use crate::AppState;
use crate::error::ApiError;

fn delivery_json(d: &Delivery, attempts: &[Attempt]) -> Value {
    let attempts: Vec<Value> = attempts
        .iter()
        .map(|a| json!({"attemptedAt": a.attempted_at, "statusCode": a.status_code, "durationMs": a.duration_ms, "error": a.error}))
        .collect();
    json!({"id": d.id, "endpointId": d.endpoint_id, "eventId": d.event_id, "eventType": d.event_type, "status": d.status.as_str(),
           "attempts": attempts, "nextAttemptAt": d.next_attempt_at, "createdAt": d.created_at})
}

#[utoipa::path(
    get,
    path = "/api/v0/server/{environmentId}/webhooks/{id}/deliveries",
    tag = "webhooks",
    summary = "List an endpoint's deliveries with their attempts",
    operation_id = "listDeliveries",
    params(crate::http::openapi::params::WebhookPath),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        (status = 200, description = "Newest first.", body = crate::http::openapi::schemas::DeliveryList),
        (status = 404, description = "`not_found`: no such webhook endpoint in this environment.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn deliveries(
    State(app): State<AppState>,
    Path((environment, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let environment = gate(&app, &headers, &environment).await?;
    load(&app, environment, &id).await?;
    let deliveries: Vec<Value> = app
        .store
        .deliveries(environment, &id, 100)
        .await?
        .iter()
        .map(|(d, a)| delivery_json(d, a))
        .collect();
    Ok(Json(json!({ "deliveries": deliveries })))
}

#[utoipa::path(
    post,
    path = "/api/v0/server/{environmentId}/webhooks/deliveries/{id}/redeliver",
    tag = "webhooks",
    summary = "Send a delivery again now",
    operation_id = "redeliver",
    params(crate::http::openapi::params::DeliveryPath),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        (status = 200, description = "The delivery, pending again.", body = crate::http::openapi::schemas::Delivery),
        (status = 404, description = "`not_found`: no such delivery in this environment.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn redeliver(
    State(app): State<AppState>,
    Path((environment, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let environment = gate(&app, &headers, &environment).await?;
    let now: Timestamp = app.clock.now();
    let delivery = app
        .store
        .redeliver(environment, &id, now)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(delivery_json(&delivery, &[])))
}
