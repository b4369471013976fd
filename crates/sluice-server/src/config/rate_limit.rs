//! `[rate_limit]`: the payer routes' limits per client address and per flow (see the
//! server's `rate_limit.rs` for how they are applied).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_client_rate")]
    pub per_client_per_minute: u32,
    #[serde(default = "default_client_burst")]
    pub per_client_burst: u32,
    #[serde(default = "default_flow_rate")]
    pub per_flow_per_minute: u32,
    #[serde(default = "default_flow_burst")]
    pub per_flow_burst: u32,
    /// Take the client address from the right-most `X-Forwarded-For` entry (the one your own
    /// proxy appended). Only set this behind a proxy that always sets the header.
    #[serde(default)]
    pub trust_forwarded_for: bool,
}

fn yes() -> bool {
    true
}
fn default_client_rate() -> u32 {
    1200
}
fn default_client_burst() -> u32 {
    200
}
fn default_flow_rate() -> u32 {
    60
}
fn default_flow_burst() -> u32 {
    60
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            per_client_per_minute: default_client_rate(),
            per_client_burst: default_client_burst(),
            per_flow_per_minute: default_flow_rate(),
            per_flow_burst: default_flow_burst(),
            trust_forwarded_for: false,
        }
    }
}

impl RateLimitConfig {
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("per_client_per_minute", self.per_client_per_minute),
            ("per_client_burst", self.per_client_burst),
            ("per_flow_per_minute", self.per_flow_per_minute),
            ("per_flow_burst", self.per_flow_burst),
        ] {
            if value == 0 {
                return Err(format!("rate_limit.{name}: must be at least 1"));
            }
        }
        Ok(())
    }
}
