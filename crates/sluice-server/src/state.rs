//! The application state every handler and worker shares: the store, the clock, the
//! configuration and the services built from it, one `Arc` for all.

use std::sync::Arc;

use sluice_domain::Clock;
use sluice_store::Store;

use crate::chains::Chains;
use crate::config::Config;
use crate::env_cache::EnvironmentCache;
use crate::payments::pricing::PriceSource;
use crate::rate_limit::RateLimits;
use crate::webhooks::WebhookKey;

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
    pub exchanges: Arc<crate::payments::exchanges::Exchanges>,
    /// Where payers reach this server (the hosted page's links); `None` until `serve` knows.
    pub public_url: Option<Arc<crate::public_url::PublicUrl>>,
    /// How webhook host names are resolved (the system resolver; tests pin names).
    pub hosts: Arc<dyn crate::host_lookup::HostLookup>,
    /// `/metrics` is served on its own listener (`serve --metrics-listen`), so the main one
    /// answers it `404`.
    pub metrics_elsewhere: bool,
    /// When each API token was last used (written at most once a minute per token).
    pub token_uses: Arc<crate::token_use::TokenUses>,
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
        let exchanges = Arc::new(crate::payments::exchanges::Exchanges::new(
            config.coinbase.clone(),
        ));
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
            metrics_elsewhere: false,
            token_uses: Arc::default(),
        }))
    }

    /// The services quotes are planned with.
    pub fn payments(&self) -> crate::payments::Payments<'_> {
        crate::payments::Payments {
            chains: &self.chains,
            prices: &self.prices,
            quote_ttl_secs: self.config.quotes.ttl_secs,
        }
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

    /// `/metrics` moves to its own listener (see [`crate::http::metrics::router`]).
    pub fn with_metrics_elsewhere(self) -> Self {
        let mut parts = Arc::unwrap_or_clone(self.0);
        parts.metrics_elsewhere = true;
        Self(Arc::new(parts))
    }

    /// The key webhook secrets are derived from; every instance must use the same one.
    pub fn with_webhook_key(self, key: WebhookKey) -> Self {
        let mut parts = Arc::unwrap_or_clone(self.0);
        parts.webhook_key = key;
        Self(Arc::new(parts))
    }
}
