//! The configuration file (`sluice serve --config PATH`, env `SLUICE_CONFIG`): chains and their
//! RPC endpoints, prices, quote and tracker timings, the HTTP limits. Every setting has a
//! default except the chains themselves; an invalid file stops start-up with a message naming
//! the setting.

mod chain_checks;
mod chains;
mod http;
mod rate_limit;
mod services;
mod solana_checks;
mod webhooks;

use std::collections::BTreeMap;

pub use chains::{ChainConfig, Commitment, PriceFeedConfig, Secret, TokenConfig, chain_key};
pub use http::HttpConfig;
pub use rate_limit::RateLimitConfig;
pub use services::{ChainWatchConfig, CoinbaseConfig, PaymentPageConfig};
pub use webhooks::{RetrySchedule, WebhookConfig, parse_schedule};

use serde::Deserialize;
use sluice_domain::money::parse_decimal;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub chains: Vec<ChainConfig>,
    /// Static prices: `"ETH/USD" = "3000.00"` (currency per whole token); an integer is
    /// accepted too, a float is not (money never goes through floating point).
    #[serde(default, deserialize_with = "decimal_strings")]
    pub prices: BTreeMap<String, String>,
    /// An HTTP price feed consulted when the static table has no price.
    pub price_feed: Option<PriceFeedConfig>,
    #[serde(default)]
    pub quotes: QuoteConfig,
    #[serde(default)]
    pub tracker: TrackerConfig,
    #[serde(default)]
    pub webhooks: WebhookConfig,
    #[serde(default)]
    pub rate_limit: RateLimitConfig,
    #[serde(default)]
    pub cache: CacheConfig,
    #[serde(default)]
    pub deposits: ChainWatchConfig,
    #[serde(default)]
    pub coinbase: CoinbaseConfig,
    #[serde(default)]
    pub payment_page: PaymentPageConfig,
    #[serde(default)]
    pub http: HttpConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// How long an instance reuses an environment it read (origins, enabled chains); 0 reads
    /// it on every request. See `env_cache.rs`.
    #[serde(default = "default_environment_ttl")]
    pub environment_ttl_ms: u64,
}

fn default_environment_ttl() -> u64 {
    1000
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            environment_ttl_ms: default_environment_ttl(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteConfig {
    /// How long a wallet quote holds before it must be renewed.
    #[serde(default = "default_quote_ttl")]
    pub ttl_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerConfig {
    /// Unused since wallet payments are judged by the chain watcher (`[deposits]` sets its
    /// pace); still accepted so that older configuration files load.
    #[serde(default = "default_tracker_interval")]
    pub interval_secs: u64,
    /// A broadcast hash the chain has not shown within this long fails the flow.
    #[serde(default = "default_not_found_after")]
    pub not_found_after_secs: i64,
    #[serde(default = "default_rpc_timeout")]
    pub rpc_timeout_secs: u64,
}

fn decimal_strings<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Decimal {
        Text(String),
        Integer(u64),
    }
    let map = BTreeMap::<String, Decimal>::deserialize(d)?;
    Ok(map
        .into_iter()
        .map(|(k, v)| match v {
            Decimal::Text(s) => (k, s),
            Decimal::Integer(n) => (k, n.to_string()),
        })
        .collect())
}

fn default_quote_ttl() -> i64 {
    60
}
fn default_tracker_interval() -> u64 {
    2
}
fn default_not_found_after() -> i64 {
    600
}
fn default_rpc_timeout() -> u64 {
    10
}

impl Default for QuoteConfig {
    fn default() -> Self {
        Self {
            ttl_secs: default_quote_ttl(),
        }
    }
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            interval_secs: default_tracker_interval(),
            not_found_after_secs: default_not_found_after(),
            rpc_timeout_secs: default_rpc_timeout(),
        }
    }
}

impl Config {
    /// Reads the file (if any), applies `SLUICE_<SECTION>__<KEY>` environment overrides, then
    /// validates. Overrides name a key path with double underscores, in any case:
    /// `SLUICE_QUOTES__TTL_SECS=30`, `SLUICE_RATE_LIMIT__PER_FLOW_BURST=10`. Values are read as
    /// TOML (`30`, `true`, `["15s", "1m"]`), falling back to a plain string.
    pub fn load(path: Option<&str>) -> Result<Self, String> {
        let mut table = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read config file {path}: {e}"))?;
                toml::from_str::<toml::Table>(&text).map_err(|e| format!("{path}: {e}"))?
            }
            None => toml::Table::new(),
        };
        apply_overrides(&mut table, std::env::vars())?;
        let config: Self = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| {
                let at = path.unwrap_or("configuration");
                format!("{at}: {e}")
            })?;
        config.validate()?;
        config.with_env()
    }

    /// Applies `SLUICE_…` environment overrides of file settings.
    pub fn with_env(mut self) -> Result<Self, String> {
        if let Ok(enabled) = std::env::var("SLUICE_RATE_LIMIT_ENABLED") {
            self.rate_limit.enabled = match enabled.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => {
                    return Err(format!(
                        "SLUICE_RATE_LIMIT_ENABLED: {other:?} is not true or false"
                    ));
                }
            };
        }
        if let Ok(schedule) = std::env::var("SLUICE_WEBHOOK_RETRY_SCHEDULE") {
            self.webhooks.retry_schedule = RetrySchedule::parse(&schedule)
                .map_err(|e| format!("SLUICE_WEBHOOK_RETRY_SCHEDULE: {e}"))?;
        }
        Ok(self)
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), String> {
        for (i, chain) in self.chains.iter().enumerate() {
            let at = format!("chains[{i}]");
            chain.validate(&at)?;
            if self.chains[..i].iter().any(|c| c.key() == chain.key()) {
                return Err(format!(
                    "{at}.chain_id: {} chain {} is configured twice",
                    chain.chain_name, chain.chain_id
                ));
            }
        }
        for (pair, price) in &self.prices {
            if pair
                .split_once('/')
                .is_none_or(|(a, b)| a.is_empty() || b.is_empty())
            {
                return Err(format!(
                    "prices.{pair:?}: keys are \"SYMBOL/CURRENCY\", e.g. \"ETH/USD\""
                ));
            }
            if parse_decimal(price).is_none_or(|(d, _)| d == 0) {
                return Err(format!(
                    "prices.{pair:?}: must be a positive decimal string"
                ));
            }
        }
        if self.webhooks.max_in_flight < 1 {
            return Err("webhooks.max_in_flight: must be at least 1".into());
        }
        if self.webhooks.max_in_flight_per_endpoint < 1 {
            return Err("webhooks.max_in_flight_per_endpoint: must be at least 1".into());
        }
        self.rate_limit.validate()?;
        self.payment_page.validate()?;
        self.http.validate()?;
        if self.quotes.ttl_secs < 1 {
            return Err("quotes.ttl_secs: must be at least 1".into());
        }
        Ok(())
    }
}

/// Environment variables that are not overrides of file settings.
const NOT_SETTINGS: [&str; 9] = [
    "SLUICE_DATABASE_URL",
    "SLUICE_LISTEN",
    "SLUICE_CONFIG",
    "SLUICE_EXPIRY_INTERVAL_SECS",
    "SLUICE_WEBHOOK_KEY",
    "SLUICE_WEBHOOK_RETRY_SCHEDULE",
    "SLUICE_RATE_LIMIT_ENABLED",
    "SLUICE_LOG",
    "SLUICE_LOG_FORMAT",
];

/// Applies `SLUICE_A__B=value` as `a.b = value` to the configuration table.
pub fn apply_overrides(
    table: &mut toml::Table,
    vars: impl Iterator<Item = (String, String)>,
) -> Result<(), String> {
    for (name, value) in vars {
        let Some(path) = name.strip_prefix("SLUICE_") else {
            continue;
        };
        if NOT_SETTINGS.contains(&name.as_str()) || !path.contains("__") {
            continue;
        }
        let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
        let parsed = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.clone()));
        let (last, parents) = keys.split_last().expect("at least two keys");
        let mut node = &mut *table;
        for key in parents {
            let entry = node
                .entry(key.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = entry
                .as_table_mut()
                .ok_or_else(|| format!("{name}: {key} is not a section"))?;
        }
        node.insert(last.clone(), parsed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn environment_overrides_reach_nested_settings() {
        let mut table: toml::Table = toml::from_str("[quotes]\nttl_secs = 60\n").unwrap();
        let vars = [
            ("SLUICE_QUOTES__TTL_SECS", "30"),
            ("SLUICE_RATE_LIMIT__ENABLED", "false"),
            ("SLUICE_WEBHOOKS__RETRY_SCHEDULE", r#"["1s", "2s"]"#),
            ("SLUICE_PRICES__ETH/USD", "2500"),
            ("SLUICE_LISTEN", "0.0.0.0:1"),
            ("HOME", "/root"),
        ];
        apply_overrides(
            &mut table,
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
        .unwrap();
        let config: Config = toml::Value::Table(table).try_into().unwrap();
        assert_eq!(config.quotes.ttl_secs, 30);
        assert!(!config.rate_limit.enabled);
        assert_eq!(
            config.webhooks.retry_schedule.delays(),
            [Duration::from_secs(1), Duration::from_secs(2)]
        );
        assert_eq!(
            config.prices["eth/usd"], "2500",
            "a bare value that is not TOML is a string"
        );
    }

    #[test]
    fn the_documented_shape_parses() {
        let config = Config::parse(
            r#"
            [[chains]]
            chain_name = "EVM"
            chain_id = "31337"
            rpc_url = "http://127.0.0.1:8545"
            confirmations = 2
            [[chains.tokens]]
            address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
            symbol = "USDC"
            decimals = 6
            "#,
        )
        .unwrap();
        assert_eq!(config.chains[0].tokens[0].decimals, 6);
        assert_eq!(config.quotes.ttl_secs, 60);
    }

    #[test]
    fn the_shipped_default_file_parses_to_the_defaults() {
        let text = include_str!("../../../../config/default.toml");
        let config = Config::parse(text).unwrap();
        let defaults = Config::default();
        assert_eq!(config.quotes.ttl_secs, defaults.quotes.ttl_secs);
        assert_eq!(config.tracker.interval_secs, defaults.tracker.interval_secs);
        assert_eq!(
            config.tracker.not_found_after_secs,
            defaults.tracker.not_found_after_secs
        );
        assert_eq!(
            config.tracker.rpc_timeout_secs,
            defaults.tracker.rpc_timeout_secs
        );
        assert_eq!(
            (
                config.webhooks.max_in_flight,
                config.webhooks.max_in_flight_per_endpoint
            ),
            (
                defaults.webhooks.max_in_flight,
                defaults.webhooks.max_in_flight_per_endpoint
            )
        );
        assert_eq!(config.http, defaults.http);
        // The commented chain example is the documented shape.
        let example: String = text
            .lines()
            .skip_while(|l| !l.starts_with("# [[chains]]"))
            .map(|l| {
                l.trim_start_matches("# ")
                    .split("  #")
                    .next()
                    .unwrap_or_default()
                    .to_owned()
                    + "\n"
            })
            .collect();
        let chains = Config::parse(&example).unwrap();
        assert_eq!(chains.chains[0].tokens[0].symbol, "USDC");
    }

    #[test]
    fn values_are_typed_when_the_file_is_read() {
        let config = Config::parse(
            "[[chains]]\nchain_name = \"EVM\"\nchain_id = \"1\"\nrpc_url = \"http://127.0.0.1:8545\"\n\
             [webhooks]\nretry_schedule = [\"30s\", \"2h\"]\n",
        )
        .unwrap();
        assert_eq!(config.chains[0].chain_name, sluice_domain::ChainName::Evm);
        assert_eq!(config.chains[0].rpc_url.port(), Some(8545));
        assert_eq!(
            config.webhooks.retry_schedule.delays(),
            [Duration::from_secs(30), Duration::from_secs(7200)]
        );
        let bad = |text: &str, needle: &str| {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(needle), "{e}");
        };
        bad(
            "[[chains]]\nchain_name = \"NOPE\"\nchain_id = \"1\"\nrpc_url = \"http://x\"",
            "chain_name",
        );
        bad(
            "[[chains]]\nchain_name = \"EVM\"\nchain_id = \"1\"\nrpc_url = \"localhost:8545\"",
            "rpc_url",
        );
        bad("[webhooks]\nretry_schedule = [\"5x\"]", "unknown unit");
        bad(
            "[webhooks]\nretry_schedule = [\"1s,2s\"]",
            "one delay per list entry",
        );
        bad("[price_feed]\nurl = \"prices\"", "url");
    }

    #[test]
    fn errors_name_the_setting() {
        let bad = |text: &str, needle: &str| {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(needle), "{e}");
        };
        bad(
            "[[chains]]\nchain_name = \"SUI\"\nchain_id = \"1\"\nrpc_url = \"http://x\"",
            "chains[0].chain_name",
        );
        bad(
            "[[chains]]\nchain_name = \"EVM\"\nchain_id = \"0x1\"\nrpc_url = \"http://x\"",
            "chains[0].chain_id",
        );
        bad(
            "[[chains]]\nchain_name = \"EVM\"\nchain_id = \"1\"\nrpc_url = \"ftp://x\"",
            "chains[0].rpc_url",
        );
        bad(
            "[[chains]]\nchain_name = \"EVM\"\nchain_id = \"1\"\nrpc_url = \"http://x\"\ndisplay_name = \" \"",
            "chains[0].display_name: must not be empty",
        );
        bad("[prices]\n\"ETH\" = \"1\"", "prices");
        bad("[prices]\n\"ETH/USD\" = \"-1\"", "prices");
        bad("[quotes]\nttl_secs = 0", "quotes.ttl_secs");
        bad(
            "[webhooks]\nmax_in_flight_per_endpoint = 0",
            "webhooks.max_in_flight_per_endpoint",
        );
        bad("[http]\nmax_connections = 0", "http.max_connections");
        bad("typo = 1", "unknown field");
    }
}
