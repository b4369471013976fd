//! Operational routes and the outermost layers: health, readiness, the JSON fallbacks for
//! unknown routes and methods, and one log line per request.

use std::time::Instant;

use tracing::Instrument;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness: the process answers",
    responses(
        (status = 200, description = "`ok`", body = String, content_type = "text/plain"),
    ),
)]
pub async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: the database answers; each chain's state",
    responses(
        (status = 200, description = "`ready`, then one line per configured chain: `chain <name> <id>: ok` or why it is not usable yet (unreachable, wrong network). A chain that is not usable does not make the instance unready: its flows wait, the others are served.", body = String, content_type = "text/plain"),
        (status = 503, description = "`database unreachable` (and the chain lines)", body = String, content_type = "text/plain"),
    ),
)]
pub async fn readyz(State(app): State<AppState>) -> Response {
    let mut chains = String::new();
    for chain in app.chains.all() {
        // Asks a node not proven yet (at most every few seconds), so the line is current.
        let _ = chain.ensure_proven(app.clock.now()).await;
        let (name, id) = (&chain.config.chain_name, &chain.config.chain_id);
        chains.push_str(&format!(
            "\nchain {name} {id}: {}",
            chain.identity().describe()
        ));
    }
    match app.store.ping().await {
        Ok(()) => format!("ready{chains}").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            let body = format!("database unreachable{chains}");
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
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

/// A request ID for every request: the caller's `x-request-id` when it is a sane token,
/// else a fresh one. It is echoed in the answer and carried by every log line of the request.
fn request_id(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// The method as a metrics label: any token is a valid HTTP method, so made-up ones share
/// `other` instead of each creating new series (unbounded memory on `/metrics`).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    const KNOWN: [Method; 7] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", Method::as_str)
}

/// One line per request: method, route template (never the query, never a header), status,
/// the error's stable code when the answer is an error, latency, inside a span holding the request ID. Path IDs are not secrets; tokens only travel
/// in headers, which are never logged.
pub async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let span = tracing::info_span!("request", request.id = %id);
    let mut response = next.run(req).instrument(span.clone()).await;
    let (route_label, status) = (
        route.clone().unwrap_or_else(|| "<unmatched>".into()),
        response.status().as_u16().to_string(),
    );
    let labels = [
        ("route", route_label),
        ("method", method_label(&method).to_owned()),
        ("status", status),
    ];
    metrics::counter!("sluice_http_requests_total", &labels).increment(1);
    metrics::histogram!("sluice_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    let code = response.extensions().get::<ErrorCode>().map(|c| c.as_str());
    span.in_scope(|| {
        tracing::info!(
            http.method = %method,
            http.route = route.as_deref().unwrap_or("<unmatched>"),
            http.status = response.status().as_u16(),
            error.code = code,
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        )
    });
    if let Ok(value) = axum::http::HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
