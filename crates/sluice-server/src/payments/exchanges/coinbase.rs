//! Coinbase Onramp: a purchase link whose bought funds go to a flow's deposit address. One
//! call to the session-token API (`POST {api_url}/onramp/v1/token`, CDP JWT), then the link
//! `{pay_url}/buy/select-asset?sessionToken=…` with the asset, network and amount preset and
//! the flow's ID as `partnerUserRef` (Coinbase's reference for the purchase).

use std::time::Duration;

pub use crate::config::CoinbaseConfig;
use serde::Deserialize;
use serde_json::json;

use super::cdp_key::CdpKey;

/// What the link is for.
pub struct Purchase<'a> {
    pub deposit_address: &'a str,
    /// Coinbase's network name (`base`, `ethereum`, …).
    pub network: &'a str,
    /// The asset's symbol (`USDC`, `ETH`).
    pub asset: &'a str,
    /// Whole units, as a decimal string.
    pub amount: &'a str,
    pub flow_id: &'a str,
    pub redirect_url: Option<&'a str>,
    pub client_ip: Option<String>,
}

/// Why no link could be made; logged by the caller, never shown to the payer in detail.
#[derive(Debug, thiserror::Error)]
pub enum OnrampError {
    #[error("Coinbase did not answer: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("Coinbase answered {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("Coinbase's answer had no session token")]
    Malformed,
}

pub struct OnrampClient {
    http: reqwest::Client,
    config: CoinbaseConfig,
}

#[derive(Deserialize)]
struct TokenAnswer {
    token: String,
}

/// `host[:port]` of a URL, as the JWT's `uri` claim names it.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

impl OnrampClient {
    pub fn new(config: CoinbaseConfig) -> Self {
        sluice_chain::ensure_tls();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .build()
            .expect("an HTTP client");
        Self { http, config }
    }

    /// A fresh purchase link (Coinbase's session tokens are single-use and expire in 5 min).
    pub async fn purchase_url(
        &self,
        key: &CdpKey,
        p: &Purchase<'_>,
    ) -> Result<String, OnrampError> {
        let base = self.config.api_url.as_str().trim_end_matches('/');
        let path = "/onramp/v1/token";
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let jwt = key.request_jwt(&format!("POST {}{path}", authority(base)), now);
        let mut body = json!({
            "addresses": [{"address": p.deposit_address, "blockchains": [p.network]}],
            "assets": [p.asset],
        });
        if let Some(ip) = &p.client_ip {
            body["clientIp"] = json!(ip);
        }
        let answer = self
            .http
            .post(format!("{base}{path}"))
            .bearer_auth(jwt)
            .json(&body)
            .send()
            .await?;
        let status = answer.status();
        if !status.is_success() {
            let body: String = answer
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect();
            return Err(OnrampError::Refused {
                status: status.as_u16(),
                body,
            });
        }
        let token = answer
            .json::<TokenAnswer>()
            .await
            .map_err(|_| OnrampError::Malformed)?
            .token;
        let mut url = reqwest::Url::parse(&format!(
            "{}/buy/select-asset",
            self.config.pay_url.as_str().trim_end_matches('/')
        ))
        .map_err(|_| OnrampError::Malformed)?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("sessionToken", &token)
                .append_pair("defaultNetwork", p.network)
                .append_pair("defaultAsset", p.asset)
                .append_pair("presetCryptoAmount", p.amount)
                .append_pair("partnerUserRef", p.flow_id);
            if let Some(redirect) = p.redirect_url {
                query.append_pair("redirectUrl", redirect);
            }
        }
        Ok(url.into())
    }
}

/// Coinbase's name for a chain, from its chain ID, unless the configuration names it.
pub fn network_name(chain_id: &str, configured: Option<&str>) -> Option<String> {
    if let Some(name) = configured {
        return Some(name.to_owned());
    }
    let known = match chain_id {
        "1" => "ethereum",
        "8453" => "base",
        "10" => "optimism",
        "42161" => "arbitrum",
        "137" => "polygon",
        "43114" => "avalanche-c-chain",
        _ => return None,
    };
    Some(known.to_owned())
}
