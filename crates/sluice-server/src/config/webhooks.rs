//! `[webhooks]`: the retry schedule, timeouts, concurrency caps and the key file of webhook
//! delivery (see WEBHOOKS.md).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Delays before the 2nd, 3rd, … attempt; after the last, the delivery is failed.
    #[serde(default = "default_retry_schedule")]
    pub retry_schedule: RetrySchedule,
    /// One attempt's timeout.
    #[serde(default = "default_webhook_timeout")]
    pub request_timeout_secs: u64,
    /// Pause of the delivery worker when nothing is due.
    #[serde(default = "default_webhook_interval")]
    pub worker_interval_secs: u64,
    /// Deliveries one instance sends at once, all endpoints together.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: u32,
    /// Deliveries one endpoint has in flight at once, across every instance (the claim
    /// counts leases in the database), so that a slow endpoint cannot hold every slot.
    #[serde(default = "default_max_in_flight_per_endpoint")]
    pub max_in_flight_per_endpoint: u32,
    /// Allow endpoint URLs on loopback and private addresses (tests, private networks).
    #[serde(default)]
    pub allow_private_urls: bool,
    /// File holding the webhook key (base64 of 32 bytes); SLUICE_WEBHOOK_KEY overrides it.
    pub signing_key_file: Option<PathBuf>,
}

fn default_retry_schedule() -> RetrySchedule {
    RetrySchedule::parse("15s,1m,10m,1h,1d").expect("the default schedule parses")
}
fn default_webhook_timeout() -> u64 {
    15
}
fn default_webhook_interval() -> u64 {
    1
}
fn default_max_in_flight() -> u32 {
    64
}
fn default_max_in_flight_per_endpoint() -> u32 {
    4
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            retry_schedule: default_retry_schedule(),
            request_timeout_secs: default_webhook_timeout(),
            worker_interval_secs: default_webhook_interval(),
            max_in_flight: default_max_in_flight(),
            max_in_flight_per_endpoint: default_max_in_flight_per_endpoint(),
            allow_private_urls: false,
            signing_key_file: None,
        }
    }
}

/// The delays before the 2nd, 3rd, … attempt of a webhook delivery. Written as a list of
/// numbers with a unit (`["15s", "1m", "10m", "1h", "1d"]`; s, m, h or d) in the file, or
/// comma-separated in `SLUICE_WEBHOOK_RETRY_SCHEDULE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl RetrySchedule {
    /// Parses `15s,1m,10m,1h,1d`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let secs = parse_schedule(text)?;
        Ok(Self(secs.into_iter().map(Duration::from_secs).collect()))
    }

    pub fn delays(&self) -> &[Duration] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for RetrySchedule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries = Vec::<String>::deserialize(d)?;
        if let Some(bad) = entries.iter().find(|e| e.contains(',')) {
            return Err(serde::de::Error::custom(format!(
                "retry schedule entry {bad:?}: one delay per list entry"
            )));
        }
        Self::parse(&entries.join(",")).map_err(serde::de::Error::custom)
    }
}

/// Parses a retry schedule such as `15s,1m,10m,1h,1d` into seconds.
pub fn parse_schedule(text: &str) -> Result<Vec<u64>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (number, unit) = item.split_at(
                item.find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(item.len()),
            );
            let n: u64 = number.parse().map_err(|_| {
                format!("retry schedule entry {item:?} must be a number and a unit (s, m, h, d)")
            })?;
            let factor = match unit {
                "s" | "" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                _ => {
                    return Err(format!(
                        "retry schedule entry {item:?} has an unknown unit (use s, m, h or d)"
                    ));
                }
            };
            n.checked_mul(factor)
                .ok_or_else(|| format!("retry schedule entry {item:?} is too long"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules() {
        assert_eq!(
            parse_schedule("15s,1m,10m,1h,1d").unwrap(),
            vec![15, 60, 600, 3600, 86_400]
        );
        assert!(parse_schedule("5x").is_err());
    }
}
