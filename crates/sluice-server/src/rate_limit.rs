//! Rate limits on the unauthenticated payer routes (spec §6): per client address, and per
//! flow for attach-source. In-memory GCRA limiters, so each instance limits on its own: with
//! N instances behind a balancer a client gets up to N times the configured rate (documented
//! in OPERATIONS.md).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::Deserialize;
use sluice_domain::FlowId;

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

fn quota(per_minute: u32, burst: u32) -> Quota {
    let period = Duration::from_secs(60) / per_minute.max(1);
    Quota::with_period(period)
        .expect("a non-zero period")
        .allow_burst(NonZeroU32::new(burst.max(1)).expect("non-zero"))
}

pub struct RateLimits {
    per_client: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_flow: Option<DefaultKeyedRateLimiter<FlowId>>,
    pub trust_forwarded_for: bool,
}

impl RateLimits {
    pub fn from_config(config: &RateLimitConfig) -> Self {
        let enabled = config.enabled;
        Self {
            per_client: enabled.then(|| {
                DefaultKeyedRateLimiter::keyed(quota(
                    config.per_client_per_minute,
                    config.per_client_burst,
                ))
            }),
            per_flow: enabled.then(|| {
                DefaultKeyedRateLimiter::keyed(quota(
                    config.per_flow_per_minute,
                    config.per_flow_burst,
                ))
            }),
            trust_forwarded_for: config.trust_forwarded_for,
        }
    }

    fn check<K: Clone + std::hash::Hash + Eq>(
        limiter: Option<&DefaultKeyedRateLimiter<K>>,
        key: &K,
    ) -> Result<(), u64> {
        let Some(limiter) = limiter else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// `Err(seconds)`: the client must wait that long.
    pub fn check_client(&self, address: IpAddr) -> Result<(), u64> {
        Self::check(self.per_client.as_ref(), &address)
    }

    pub fn check_flow(&self, flow: FlowId) -> Result<(), u64> {
        Self::check(self.per_flow.as_ref(), &flow)
    }

    /// Forgets keys whose limits have fully recovered, bounding memory.
    pub fn retain_recent(&self) {
        if let Some(l) = &self.per_client {
            l.retain_recent();
        }
        if let Some(l) = &self.per_flow {
            l.retain_recent();
        }
    }
}
