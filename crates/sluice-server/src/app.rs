//! Application state and the router: which routes exist and which layers wrap them.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use sluice_domain::Clock;
use sluice_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::chains::Chains;
use crate::config::Config;
use crate::http::{ops, payer, payer_flows, payer_payment, server_flows, webhooks};
use crate::pricing::PriceSource;
use crate::rate_limit::RateLimits;
use crate::webhooks::WebhookKey;

/// Bodies over 64 KiB are `413 payload_too_large` (spec §7).
pub const BODY_LIMIT: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub chains: Arc<Chains>,
    pub prices: Arc<PriceSource>,
    pub webhook_key: WebhookKey,
    pub rate_limits: Arc<RateLimits>,
}

impl AppState {
    /// State with no chains configured.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self::with_config(store, clock, Config::default())
    }

    pub fn with_config(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: Config) -> Self {
        crate::metrics::handle();
        let chains = Arc::new(Chains::from_config(&config));
        let prices = Arc::new(PriceSource::from_config(&config));
        let webhook_key = WebhookKey::random();
        let rate_limits = Arc::new(RateLimits::from_config(&config.rate_limit));
        Self {
            store,
            clock,
            config: Arc::new(config),
            chains,
            prices,
            webhook_key,
            rate_limits,
        }
    }

    /// The key webhook secrets are derived from; every instance must use the same one.
    pub fn with_webhook_key(mut self, key: WebhookKey) -> Self {
        self.webhook_key = key;
        self
    }
}

/// Every route of the API. Payer routes sit behind the payer gate (path IDs, environment,
/// origin, CORS); server routes authenticate in their handlers, after their path IDs.
pub fn router(state: AppState) -> Router {
    let payer_routes = Router::new()
        .route(
            "/api/v0/sdk/{environment_id}/flow/{flow_id}",
            get(payer_flows::get_flow),
        )
        .route(
            "/api/v0/sdk/{environment_id}/flow/{flow_id}/source",
            post(payer_flows::attach_source),
        )
        .route(
            "/api/v0/sdk/{environment_id}/flow/{flow_id}/cancel",
            post(payer_flows::cancel),
        )
        .route(
            "/api/v0/sdk/{environment_id}/flow/{flow_id}/quote",
            post(payer_payment::quote),
        )
        .route(
            "/api/v0/sdk/{environment_id}/flow/{flow_id}/prepare",
            post(payer_payment::prepare),
        )
        .route(
            "/api/v0/sdk/{environment_id}/flow/{flow_id}/broadcast",
            post(payer_payment::broadcast),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            payer::gate,
        ));

    let server_routes = Router::new()
        .route(
            "/api/v0/server/{environment_id}/flow/{segment}",
            post(server_flows::create).get(server_flows::get),
        )
        .route(
            "/api/v0/server/{environment_id}/flow/{segment}/cancel",
            post(server_flows::cancel),
        )
        .route(
            "/api/v0/server/{environment_id}/flows",
            get(server_flows::list),
        );

    let webhook_routes = Router::new()
        .route(
            "/api/v0/server/{environment_id}/webhooks",
            post(webhooks::create).get(webhooks::list),
        )
        .route(
            "/api/v0/server/{environment_id}/webhooks/{id}",
            get(webhooks::get)
                .patch(webhooks::update)
                .delete(webhooks::delete),
        )
        .route(
            "/api/v0/server/{environment_id}/webhooks/{id}/rotate-secret",
            post(webhooks::rotate_secret),
        )
        .route(
            "/api/v0/server/{environment_id}/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route(
            "/api/v0/server/{environment_id}/webhooks/deliveries/{id}/redeliver",
            post(webhooks::redeliver),
        );

    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(crate::metrics::render))
        .merge(payer_routes)
        .merge(server_routes)
        .merge(webhook_routes)
        .fallback(ops::not_found)
        .layer(axum::middleware::from_fn(ops::envelope_bare_errors))
        .layer(axum::middleware::from_fn(ops::log_request))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` is cancelled, then finishes the
/// requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
