//! The payer gate: every SDK route (P1–P8) passes through it. It first counts the request
//! against the client's rate limit, then, in the spec's order, it checks
//! the path IDs (400), the environment (404 `flow_not_found`, never revealing which part was
//! unknown) and the request's `Origin` (403 `origin_not_allowed`, with no CORS headers), then
//! answers CORS preflights itself and adds the CORS headers to every other answer, success or
//! error, so the browser can read it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sluice_domain::{FlowId, TokenHash};
use sluice_store::Environment;

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

/// What the gate established, for the handlers behind it.
#[derive(Clone)]
pub struct PayerContext {
    pub environment: Arc<Environment>,
    pub flow_id: FlowId,
    /// The payer's address as `client_address` sees it (exchanges ask for it).
    pub client_ip: Option<IpAddr>,
}

pub const SESSION_TOKEN_HEADER: &str = "x-dynamic-flow-session-token";

/// Every header the published SDK sends, allowed on preflight.
const ALLOWED_HEADERS: &str = "content-type, x-dynamic-flow-session-token, x-dyn-api-version, x-dyn-version, \
     x-dynamic-platform, x-dyn-request-id, x-dyn-session-id, x-dyn-session-public-key, authorization, idempotency-key";

pub async fn gate(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    // Counted before anything is parsed or looked up, so that malformed IDs and unknown
    // environments spend a client's allowance like every other request.
    let client_ip = client_address(&app, &req);
    if let Some(wait) = client_ip.and_then(|ip| app.rate_limits.check_client(ip).err()) {
        return client_over_limit(&app, &req, wait);
    }
    let (environment_id, flow_id) = match path_ids(req.uri().path()) {
        Ok(ids) => ids,
        Err(e) => return e.into_response(),
    };
    let now = app.clock.now();
    let environment = match app
        .environments
        .get(app.store.as_ref(), environment_id, now)
        .await
    {
        Ok(Some(env)) => env,
        Ok(None) => return ApiError::flow_not_found().into_response(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    let origin = req.headers().get(header::ORIGIN).cloned();
    if origin
        .as_ref()
        .is_some_and(|o| !origin_allowed(&app, o, &environment))
    {
        return ApiError::new(
            ErrorCode::OriginNotAllowed,
            "This page's origin is not allowed for the environment.",
        )
        .into_response();
    }
    let attach = req.method() == Method::POST && req.uri().path().ends_with("/source");
    let flow_wait = attach
        .then(|| app.rate_limits.check_flow(flow_id).err())
        .flatten();
    let mut response = if let Some(wait) = flow_wait {
        too_many_requests(wait)
    } else if req.method() == Method::OPTIONS {
        preflight()
    } else {
        req.extensions_mut().insert(PayerContext {
            environment,
            flow_id,
            client_ip,
        });
        next.run(req).await
    };
    if let Some(origin) = origin {
        add_cors(&mut response, origin);
    }
    response
}

fn origin_allowed(app: &AppState, origin: &HeaderValue, environment: &Environment) -> bool {
    origin.to_str().is_ok_and(|o| {
        sluice_domain::origin::is_allowed(o, &environment.allowed_origins)
            || app.public_url.as_ref().is_some_and(|u| u.origin() == o)
    })
}

fn add_cors(response: &mut Response, origin: HeaderValue) {
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Retry-After"),
    );
}

/// The `429` of a client over its per-address limit. It carries CORS headers (so the page can
/// read `Retry-After`) only when the origin is known to be allowed without a lookup: from
/// the environment cache, which a page making that many requests keeps warm.
fn client_over_limit(app: &AppState, req: &Request, wait: u64) -> Response {
    let mut response = too_many_requests(wait);
    let cached = path_ids(req.uri().path())
        .ok()
        .and_then(|(env, _)| app.environments.fresh(env, app.clock.now()));
    if let (Some(origin), Some(env)) = (req.headers().get(header::ORIGIN), cached)
        && origin_allowed(app, origin, &env)
    {
        add_cors(&mut response, origin.clone());
    }
    response
}

/// The client's address: the connection's peer, or with `trust_forwarded_for` the right-most
/// `X-Forwarded-For` entry (the one the operator's own proxy appended).
fn client_address(app: &AppState, req: &Request) -> Option<IpAddr> {
    if app.rate_limits.trust_forwarded_for {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        if let Some(ip) = forwarded
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse().ok())
        {
            return Some(ip);
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// `429 rate_limited` with `Retry-After`.
fn too_many_requests(wait: u64) -> Response {
    let mut response = ApiError::new(
        ErrorCode::RateLimited,
        format!("Too many requests; retry in {wait} s."),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
    response
}

fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

/// `/api/v0/sdk/{environmentId}/flow/{flowId}[/…]` → both IDs, or `400 invalid_request`.
fn path_ids(path: &str) -> Result<(sluice_domain::EnvironmentId, FlowId), ApiError> {
    let mut parts = path.trim_start_matches("/api/v0/sdk/").split('/');
    let environment = parts.next().unwrap_or_default();
    let _flow_literal = parts.next();
    let flow = parts.next().unwrap_or_default();
    let environment = environment
        .parse()
        .map_err(|_| ApiError::invalid_request("environmentId must be a lowercase UUID"))?;
    let flow = flow
        .parse()
        .map_err(|_| ApiError::invalid_request("flowId must be a lowercase UUID"))?;
    Ok((environment, flow))
}

/// The session token header's hash, if the header is present and readable.
pub fn presented_token(headers: &HeaderMap) -> Option<TokenHash> {
    headers
        .get(SESSION_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|t| TokenHash::of(t.trim()))
}
