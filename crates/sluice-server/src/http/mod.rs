//! The HTTP edge: the router (which routes exist and which layers wrap them), the OpenAPI
//! document built from it, the accept loop it is served through, and the handlers, one file
//! per resource, with the pieces they share.

pub mod body;
mod flow_sync;
pub mod idempotency;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod pay_page;
pub mod payer;
pub mod payer_exchanges;
pub mod payer_flows;
pub mod payer_options;
pub mod payer_payment;
mod payment_errors;
pub mod payment_links;
pub mod query;
pub mod server_auth;
pub mod server_flows;
pub mod webhook_deliveries;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use openapi::BaseDocument;

/// Bodies over 64 KiB are `413 payload_too_large` (spec §7).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The payer routes with their OpenAPI entries. In the application they sit behind the payer
/// gate (path IDs, environment, origin, CORS), which needs the state and so is added by
/// [`router`].
fn payer_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(payer_flows::get_flow))
        .routes(routes!(payer_flows::attach_source))
        .routes(routes!(payer_options::source_token_options))
        .routes(routes!(payer_exchanges::exchanges))
        .routes(routes!(payer_flows::cancel))
        .routes(routes!(payer_payment::quote))
        .routes(routes!(payer_payment::prepare))
        .routes(routes!(payer_payment::broadcast))
}

/// Every other route with its OpenAPI entry: server routes authenticate in their handlers,
/// after their path IDs.
fn other_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(BaseDocument::openapi())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(metrics::render))
        .routes(routes!(openapi::serve))
        .routes(routes!(server_flows::create, server_flows::get))
        .routes(routes!(server_flows::cancel))
        .routes(routes!(server_flows::list))
        .routes(routes!(payment_links::create))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhook_deliveries::deliveries))
        .routes(routes!(webhook_deliveries::redeliver))
}

/// The OpenAPI document of every route; needs no state, so no database either.
pub fn document() -> utoipa::openapi::OpenApi {
    other_routes().merge(payer_routes()).into_openapi()
}

/// The application: every route, the fallback and the layers that wrap them all.
pub fn router(state: AppState) -> Router {
    let payer = payer_routes()
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            payer::gate,
        ))
        .split_for_parts()
        .0;
    other_routes()
        .split_for_parts()
        .0
        .merge(payer)
        .merge(pay_page::routes())
        .fallback(ops::not_found)
        .layer(axum::middleware::from_fn(ops::envelope_bare_errors))
        .layer(axum::middleware::from_fn(ops::log_request))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Serves `router(state)` on `listener` through Sluice's own accept loop (with the `[http]`
/// limits) until `shutdown` is cancelled, then finishes the requests in flight within
/// `http.shutdown_grace_secs`.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let http = state.config.http.clone();
    crate::connections::serve(listener, router(state), &http, shutdown).await
}
