//! The sections of the services Sluice talks to or runs: `[coinbase]` (Onramp), `[payment_page]`
//! (the hosted page) and `[deposits]` (the chain watcher's pace).

use serde::Deserialize;
use url::Url;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoinbaseConfig {
    /// The CDP API (session tokens).
    pub api_url: Url,
    /// Where purchase links point.
    pub pay_url: Url,
    /// Timeout of the session-token request, in seconds.
    pub timeout_secs: u64,
}

impl Default for CoinbaseConfig {
    fn default() -> Self {
        Self {
            api_url: Url::parse("https://api.developer.coinbase.com").expect("a URL"),
            pay_url: Url::parse("https://pay.coinbase.com").expect("a URL"),
            timeout_secs: 10,
        }
    }
}

/// `[payment_page]` in the configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentPageConfig {
    /// Origins allowed to show the page in a frame; empty (the default): none.
    pub frame_ancestors: Vec<String>,
}

impl PaymentPageConfig {
    pub fn validate(&self) -> Result<(), String> {
        for origin in &self.frame_ancestors {
            sluice_domain::origin::validate_entry(origin)
                .map_err(|e| format!("payment_page.frame_ancestors: {e}"))?;
        }
        Ok(())
    }
}

/// `[deposits]` in the configuration: how the chain watcher steps.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainWatchConfig {
    /// Pause between steps once the scan has caught up with the chain.
    pub interval_secs: u64,
    /// The most blocks one scan covers (one `eth_getLogs`; public RPCs often cap its range).
    pub max_block_range: u64,
    /// How long the scanning instance holds its lease; a crashed holder is replaced after it.
    pub lease_secs: i64,
}

impl Default for ChainWatchConfig {
    fn default() -> Self {
        Self {
            interval_secs: 2,
            max_block_range: 100,
            lease_secs: 15,
        }
    }
}
