//! `[[chains]]` and `[price_feed]`: each chain's node, confirmations and tokens, and the
//! HTTP price feed.

use serde::Deserialize;
use sluice_domain::ChainName;
use url::Url;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    pub chain_name: ChainName,
    /// Decimal for EVM-family chains; a network name for other families (spec §10).
    pub chain_id: String,
    /// The node's JSON-RPC endpoint (http or https). It may carry a provider's API key, so
    /// it is never logged or shown.
    pub rpc_url: Url,
    /// Blocks a transaction needs (its own included) before it counts.
    #[serde(default = "default_confirmations")]
    pub confirmations: u64,
    #[serde(default = "default_native_symbol")]
    pub native_symbol: String,
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// Coinbase Onramp's name for this chain (`base`, `ethereum`, …); known chain IDs need
    /// none.
    #[serde(default)]
    pub onramp_network: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub address: String,
    pub symbol: String,
    pub decimals: u8,
}

/// A Coinbase-style spot price API: `GET {url}/v2/prices/{BASE}-{CURRENCY}/spot` answering
/// `{"data": {"amount": "3000.12", "base": "ETH", "currency": "USD"}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceFeedConfig {
    pub url: Url,
    #[serde(default = "default_price_ttl")]
    pub cache_secs: u64,
}

fn default_confirmations() -> u64 {
    2
}
fn default_native_symbol() -> String {
    "ETH".into()
}
fn default_price_ttl() -> u64 {
    30
}
