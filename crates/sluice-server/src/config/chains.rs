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
    /// The network's name on the payment page ("Base"); known chain IDs need none (see
    /// [`ChainConfig::display_name`]).
    #[serde(default)]
    pub display_name: Option<String>,
}

impl ChainConfig {
    /// What payers read as the network: the configured name, else the usual name of a
    /// well-known chain ID, else "Chain <id>", so the page never shows a bare number.
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.display_name {
            return name.trim().to_owned();
        }
        let known = match self.chain_id.as_str() {
            "1" => "Ethereum",
            "10" => "OP Mainnet",
            "137" => "Polygon",
            "8453" => "Base",
            "42161" => "Arbitrum One",
            "31337" => "Local chain (31337)",
            id => return format!("Chain {id}"),
        };
        known.to_owned()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(id: &str, display_name: Option<&str>) -> ChainConfig {
        ChainConfig {
            chain_name: ChainName::Evm,
            chain_id: id.into(),
            rpc_url: "http://127.0.0.1:8545".parse().unwrap(),
            confirmations: 2,
            native_symbol: default_native_symbol(),
            tokens: vec![],
            onramp_network: None,
            display_name: display_name.map(str::to_owned),
        }
    }

    #[test]
    fn networks_are_named_for_payers() {
        assert_eq!(chain("8453", None).display_name(), "Base");
        assert_eq!(chain("1", None).display_name(), "Ethereum");
        assert_eq!(chain("42161", None).display_name(), "Arbitrum One");
        assert_eq!(chain("31337", None).display_name(), "Local chain (31337)");
        assert_eq!(chain("7777", None).display_name(), "Chain 7777");
        assert_eq!(
            chain("8453", Some(" Base (test) ")).display_name(),
            "Base (test)"
        );
    }
}
