//! `Idempotency-Key` for flow creation (spec S1): the same key and the same JSON body replay
//! the stored answer for 24 h; another body is `422 idempotency_key_reused`; a key whose first
//! request is still running is `409 idempotency_key_in_use`. Only 201, 400 and 422 answers
//! are stored; a 201's answer is stored in the same transaction as its flow, so a crash can
//! never leave a flow whose key would create a second one. S1 and S5 (payment links) share
//! this; each route's keys are its own (the key is scoped by environment and path).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sluice_domain::Flow;
use sluice_domain::{EnvironmentId, Timestamp};
use sluice_store::{ClaimOutcome, IdempotencyClaim, IdempotencyKeyRef, IdempotentAnswer};

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

const ANSWER_TTL_SECS: i64 = 24 * 3600;
/// How long a running request holds its key before it is presumed dead (crashed).
const LEASE_SECS: i64 = 60;

/// Reads and validates the header: 1–255 printable ASCII characters.
pub fn key_from_headers(
    headers: &HeaderMap,
    environment_id: EnvironmentId,
    path: &str,
) -> Result<Option<IdempotencyKeyRef>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().ok().filter(|k| {
        !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x20..0x7f).contains(&b))
    });
    let key = key.ok_or_else(|| {
        ApiError::invalid_request("Idempotency-Key must be 1-255 printable ASCII characters")
    })?;
    Ok(Some(IdempotencyKeyRef {
        environment_id,
        path: path.to_owned(),
        key: key.to_owned(),
    }))
}

/// Claims `key` for this request. `Ok(None)`: run it. `Ok(Some(response))`: answer that.
pub async fn claim(
    app: &AppState,
    key: &IdempotencyKeyRef,
    body: &[u8],
    now: Timestamp,
) -> Result<Option<Response>, ApiError> {
    let claim = IdempotencyClaim {
        key: key.clone(),
        request_hash: request_hash(body),
        now,
        lease_until: now.plus_seconds(LEASE_SECS),
        answers_valid_after: now.plus_seconds(-ANSWER_TTL_SECS),
    };
    match app.store.claim_idempotency_key(&claim).await? {
        ClaimOutcome::Claimed => Ok(None),
        ClaimOutcome::Replay { status, body } => Ok(Some(json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            body,
        ))),
        ClaimOutcome::Mismatch => Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was already used with a different request body.",
        )),
        ClaimOutcome::InUse => Err(ApiError::new(
            ErrorCode::IdempotencyKeyInUse,
            "A request with this Idempotency-Key is still running; retry shortly.",
        )),
    }
}

/// Inserts `flow` and answers `201` with `body`; under a key, the answer is stored in the
/// flow's own transaction.
pub async fn insert_created(
    app: &AppState,
    flow: &Flow,
    key: Option<IdempotencyKeyRef>,
    body: String,
    now: Timestamp,
) -> Result<Response, ApiError> {
    let answer = key.map(|key| IdempotentAnswer {
        key,
        status: 201,
        body: body.clone(),
        now,
    });
    if let Err(e) = app.store.insert_flow(flow, answer.as_ref()).await {
        if let Some(answer) = &answer {
            release_quietly(app, &answer.key).await;
        }
        return Err(e.into());
    }
    Ok(json_response(StatusCode::CREATED, body))
}

/// Answers a refused request. Under a key, a `400` or `422` is stored, so a retry with the
/// same body gets it again; any other error frees the key for a retry.
pub async fn answer_refusal(
    app: &AppState,
    key: Option<IdempotencyKeyRef>,
    error: ApiError,
    now: Timestamp,
) -> Result<Response, ApiError> {
    let Some(key) = key else { return Err(error) };
    let response = error.into_response();
    let status = response.status();
    if !matches!(status.as_u16(), 400 | 422) {
        release_quietly(app, &key).await;
        return Ok(response);
    }
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let body = String::from_utf8_lossy(&bytes).into_owned();
    let answer = IdempotentAnswer {
        key: key.clone(),
        status: status.as_u16(),
        body: body.clone(),
        now,
    };
    if let Err(e) = app.store.store_idempotent_answer(&answer).await {
        release_quietly(app, &key).await;
        return Err(e.into());
    }
    Ok(json_response(status, body))
}

async fn release_quietly(app: &AppState, key: &IdempotencyKeyRef) {
    if let Err(e) = app.store.release_idempotency_key(key).await {
        tracing::warn!(error = %e, "could not release an idempotency key; it frees itself when its lease ends");
    }
}

pub fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Bodies are compared as parsed JSON: key order and whitespace do not matter. A body that
/// is not JSON is compared byte for byte.
fn request_hash(body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => canonical(&value, &mut hasher),
        Err(_) => {
            hasher.update(b"raw:");
            hasher.update(body);
        }
    }
    hasher.finalize().into()
}

fn canonical(value: &Value, out: &mut Sha256) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.update(b"{");
            for k in keys {
                out.update(serde_json::to_string(k).unwrap_or_default().as_bytes());
                out.update(b":");
                canonical(&map[k], out);
                out.update(b",");
            }
            out.update(b"}");
        }
        Value::Array(items) => {
            out.update(b"[");
            for item in items {
                canonical(item, out);
                out.update(b",");
            }
            out.update(b"]");
        }
        scalar => out.update(scalar.to_string().as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        assert_eq!(
            request_hash(br#"{"a":1,"b":{"c":[1,2]}}"#),
            request_hash(br#"{ "b": {"c": [1, 2]}, "a": 1 }"#)
        );
        assert_ne!(request_hash(br#"{"a":1}"#), request_hash(br#"{"a":2}"#));
        assert_ne!(
            request_hash(br#"{"a":[1,2]}"#),
            request_hash(br#"{"a":[2,1]}"#)
        );
    }
}
