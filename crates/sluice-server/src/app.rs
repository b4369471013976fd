//! Application state and the router: which routes exist and which layers wrap them.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use sluice_domain::Clock;
use sluice_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::chains::Chains;
use crate::config::Config;
use crate::env_cache::EnvironmentCache;
use crate::http::{
    ops, payer, payer_flows, payer_options, payer_payment, server_flows, webhook_deliveries,
    webhooks,
};
use crate::openapi::BaseDocument;
use crate::pricing::PriceSource;
use crate::rate_limit::RateLimits;
use crate::webhooks::WebhookKey;

/// Bodies over 64 KiB are `413 payload_too_large` (spec §7).
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler shares. Cloned per request by the extractors, so it is one `Arc`:
/// one atomic increment instead of one per field (contended across worker threads).
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

#[derive(Clone)]
pub struct AppParts {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub chains: Arc<Chains>,
    pub prices: Arc<PriceSource>,
    pub webhook_key: WebhookKey,
    pub rate_limits: Arc<RateLimits>,
    pub environments: Arc<EnvironmentCache>,
    pub exchanges: Arc<crate::exchanges::Exchanges>,
    /// Where payers reach this server (the hosted page's links); `None` until `serve` knows.
    pub public_url: Option<Arc<crate::public_url::PublicUrl>>,
    /// How webhook host names are resolved (the system resolver; tests pin names).
    pub hosts: Arc<dyn crate::host_lookup::HostLookup>,
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
        let environments = Arc::new(EnvironmentCache::new(config.cache.environment_ttl_ms));
        let exchanges = Arc::new(crate::exchanges::Exchanges::new(config.coinbase.clone()));
        Self(Arc::new(AppParts {
            store,
            clock,
            config: Arc::new(config),
            chains,
            prices,
            webhook_key,
            rate_limits,
            environments,
            exchanges,
            public_url: None,
            hosts: Arc::new(crate::host_lookup::SystemLookup),
        }))
    }

    /// Where payers reach this server (see `public_url`).
    pub fn with_public_url(self, url: crate::public_url::PublicUrl) -> Self {
        let mut parts = Arc::unwrap_or_clone(self.0);
        parts.public_url = Some(Arc::new(url));
        Self(Arc::new(parts))
    }

    /// How webhook host names are resolved, at registration and at connect time.
    pub fn with_host_lookup(self, hosts: Arc<dyn crate::host_lookup::HostLookup>) -> Self {
        let mut parts = Arc::unwrap_or_clone(self.0);
        parts.hosts = hosts;
        Self(Arc::new(parts))
    }

    /// The key webhook secrets are derived from; every instance must use the same one.
    pub fn with_webhook_key(self, key: WebhookKey) -> Self {
        let mut parts = Arc::unwrap_or_clone(self.0);
        parts.webhook_key = key;
        Self(Arc::new(parts))
    }
}

/// The payer routes with their OpenAPI entries. In the application they sit behind the payer
/// gate (path IDs, environment, origin, CORS), which needs the state and so is added by
/// [`router`].
fn payer_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(payer_flows::get_flow))
        .routes(routes!(payer_flows::attach_source))
        .routes(routes!(payer_options::source_token_options))
        .routes(routes!(crate::http::payer_exchanges::exchanges))
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
        .routes(routes!(crate::metrics::render))
        .routes(routes!(crate::openapi::serve))
        .routes(routes!(server_flows::create, server_flows::get))
        .routes(routes!(server_flows::cancel))
        .routes(routes!(server_flows::list))
        .routes(routes!(crate::http::payment_links::create))
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
        .merge(crate::pay_page::routes())
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
