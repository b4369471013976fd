//! Operational routes and the outermost layers: health, readiness, the JSON fallbacks for
//! unknown routes and methods, and one log line per request.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(app): State<AppState>) -> Response {
    match app.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "No such route.")
}

/// axum answers a wrong method with a bare 405; give it the envelope like every other error,
/// keeping the headers already set on it (`Allow`, and CORS on payer routes).
pub async fn envelope_bare_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let bare = !response.headers().contains_key(header::CONTENT_TYPE);
    if response.status() != StatusCode::METHOD_NOT_ALLOWED || !bare {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let enveloped = ApiError::new(
        ErrorCode::MethodNotAllowed,
        "This route does not answer that method.",
    )
    .into_response();
    let (envelope_parts, body) = enveloped.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(envelope_parts.headers);
    Response::from_parts(parts, body)
}

/// One line per request: method, route template (never the query, never a header), status,
/// latency. Path IDs are not secrets; tokens only travel in headers, which are never logged.
pub async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let response = next.run(req).await;
    tracing::info!(
        http.method = %method,
        http.route = route.as_deref().unwrap_or("<unmatched>"),
        http.status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}
