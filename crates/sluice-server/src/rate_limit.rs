//! Rate limits on the unauthenticated payer routes (spec §6): per client address, and per
//! flow for attach-source. In-memory GCRA limiters, so each instance limits on its own: with
//! N instances behind a balancer a client gets up to N times the configured rate (documented
//! in OPERATIONS.md). A client is its IPv4 address or its IPv6 /64 (one subscriber's
//! allocation: an attacker holds billions of addresses inside one /64). Keys whose limits
//! have recovered are pruned periodically, so made-up flow IDs and addresses do not grow
//! memory for ever.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use sluice_domain::FlowId;

pub use crate::config::RateLimitConfig;

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
        Self::check(self.per_client.as_ref(), &client_key(address))
    }

    pub fn check_flow(&self, flow: FlowId) -> Result<(), u64> {
        Self::check(self.per_flow.as_ref(), &flow)
    }

    /// Forgets keys whose limits have fully recovered and gives the memory back; run
    /// periodically by `serve` (every `PRUNE_INTERVAL`).
    pub fn prune(&self) {
        if let Some(l) = &self.per_client {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_flow {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// How many client and flow keys are remembered (for tests).
    pub fn tracked_keys(&self) -> (usize, usize) {
        (
            self.per_client.as_ref().map_or(0, |l| l.len()),
            self.per_flow.as_ref().map_or(0, |l| l.len()),
        )
    }
}

/// How often `serve` prunes recovered keys.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(30);

/// The key a client address is limited under: IPv4 (also IPv4-mapped IPv6) as is, IPv6 by
/// its /64.
fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_minute: u32, burst: u32) -> RateLimits {
        RateLimits::from_config(&RateLimitConfig {
            per_client_per_minute: per_minute,
            per_client_burst: burst,
            per_flow_per_minute: per_minute,
            per_flow_burst: burst,
            ..RateLimitConfig::default()
        })
    }

    #[test]
    fn an_ipv6_slash_64_is_one_client() {
        let limits = limits(1, 2);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limits.check_client(a).is_ok());
        assert!(limits.check_client(b).is_ok());
        assert!(
            limits.check_client(a).is_err(),
            "the /64's burst of 2 is spent"
        );
        assert!(limits.check_client(other).is_ok());
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn recovered_keys_are_pruned() {
        // 600,000 a minute: every key recovers 0.1 ms after its one request.
        let limits = limits(600_000, 1);
        for i in 0..5_000u32 {
            let ip = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            limits.check_client(ip).unwrap();
            limits.check_flow(FlowId::new_random()).unwrap();
        }
        assert_eq!(limits.tracked_keys(), (5_000, 5_000));
        // Bounded wait for the clock to pass 0.1 ms (no fixed sleep).
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            limits.prune();
            if limits.tracked_keys() == (0, 0) || std::time::Instant::now() > deadline {
                break;
            }
            std::thread::yield_now();
        }
        assert_eq!(limits.tracked_keys(), (0, 0));
    }
}
