//! Prices for converting a flow's `amount`/`currency` into token units: known stablecoins at
//! par (when the flow pegs them), then the static table of the configuration, then an HTTP
//! price feed speaking Coinbase's spot-price format. Prices are decimal strings throughout.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::Config;

/// Stablecoins that track a currency 1:1, by currency.
const STABLECOINS: [(&str, &[&str]); 2] = [
    (
        "USD",
        &[
            "USDC", "USDT", "DAI", "PYUSD", "USDP", "TUSD", "FDUSD", "USDS", "USDG",
        ],
    ),
    ("EUR", &["EURC", "EURT", "EURS"]),
];

/// Whether `symbol` is a known stablecoin of `currency`.
pub fn is_stablecoin_of(symbol: &str, currency: &str) -> bool {
    STABLECOINS.iter().any(|(c, coins)| {
        c.eq_ignore_ascii_case(currency) && coins.iter().any(|s| s.eq_ignore_ascii_case(symbol))
    })
}

pub struct PriceSource {
    table: HashMap<String, String>,
    feed: Option<Feed>,
}

struct Feed {
    http: reqwest::Client,
    url: String,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, String)>>,
}

#[derive(Debug, thiserror::Error)]
#[error("price feed unavailable: {0}")]
pub struct FeedError(String);

impl PriceSource {
    pub fn from_config(config: &Config) -> Self {
        let table = config
            .prices
            .iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v.clone()))
            .collect();
        sluice_chain::ensure_tls();
        let feed = config.price_feed.as_ref().map(|f| Feed {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("an HTTP client"),
            url: f.url.as_str().trim_end_matches('/').to_owned(),
            ttl: Duration::from_secs(f.cache_secs),
            cache: Mutex::new(HashMap::new()),
        });
        Self { table, feed }
    }

    /// The price of one whole `symbol` in `currency`, or `None` when no source knows it.
    pub async fn price(&self, symbol: &str, currency: &str) -> Result<Option<String>, FeedError> {
        let pair = format!(
            "{}/{}",
            symbol.to_ascii_uppercase(),
            currency.to_ascii_uppercase()
        );
        if let Some(price) = self.table.get(&pair) {
            return Ok(Some(price.clone()));
        }
        match &self.feed {
            Some(feed) => feed.price(&pair, symbol, currency).await.map(Some),
            None => Ok(None),
        }
    }
}

impl Feed {
    async fn price(&self, pair: &str, symbol: &str, currency: &str) -> Result<String, FeedError> {
        if let Some((at, price)) = self.cache.lock().expect("price cache").get(pair)
            && at.elapsed() < self.ttl
        {
            return Ok(price.clone());
        }
        let url = format!(
            "{}/v2/prices/{}-{}/spot",
            self.url,
            symbol.to_ascii_uppercase(),
            currency.to_ascii_uppercase()
        );
        let answer: Value = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| FeedError(e.to_string()))?
            .json()
            .await
            .map_err(|e| FeedError(e.to_string()))?;
        let price = answer["data"]["amount"]
            .as_str()
            .ok_or_else(|| FeedError(format!("no data.amount in {answer}")))?;
        if sluice_domain::money::parse_decimal(price).is_none_or(|(d, _)| d == 0) {
            return Err(FeedError(format!("not a positive price: {price:?}")));
        }
        self.cache
            .lock()
            .expect("price cache")
            .insert(pair.to_owned(), (Instant::now(), price.to_owned()));
        Ok(price.to_owned())
    }
}
