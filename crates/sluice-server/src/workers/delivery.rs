//! The webhook delivery worker: leases due deliveries (safe across instances: a leased
//! delivery is invisible to other claimers), POSTs each signed body to its endpoint, records
//! the attempt, and schedules the next one on the retry schedule, with jitter and honouring
//! `Retry-After`, until the delivery succeeds (any 2xx) or the schedule is exhausted.
//! At-least-once: a crash between the POST and the record means the delivery is sent again
//! when its lease ends, with the same `webhook-id`, so receivers can drop the duplicate.
//! Concurrency is bounded per instance and per endpoint (the latter in the claim, so across
//! instances); the loop that keeps the slots full is in `dispatch.rs`.

use std::time::{Duration, Instant};

use sluice_domain::Timestamp;
use sluice_store::{Attempt, AttemptOutcome, ClaimLimits, Delivery, DeliveryStatus, StoreError};

use super::Step;
use crate::AppState;
use crate::error::caused_by;
use crate::host_lookup::{GuardedResolver, Refused};
use crate::webhooks::signature_headers;

/// `Retry-After` is honoured up to this long.
const MAX_RETRY_AFTER_SECS: i64 = 86_400;

pub struct DeliveryWorker {
    app: AppState,
    http: reqwest::Client,
}

struct Sent {
    status: Option<u16>,
    retry_after: Option<i64>,
    error: Option<String>,
    duration_ms: i64,
}

impl Sent {
    /// Nothing was sent: the URL or every address of its host is refused. The attempt says
    /// only that, whatever the reason, so a tenant cannot map internal addresses and ports.
    fn refused() -> Self {
        Self {
            status: None,
            retry_after: None,
            error: Some(Refused.to_string()),
            duration_ms: 0,
        }
    }
}

impl DeliveryWorker {
    pub fn new(app: AppState) -> Self {
        sluice_chain::ensure_tls();
        let timeout = Duration::from_secs(app.config.webhooks.request_timeout_secs);
        // Names are resolved by the guarded resolver at connect time; IP literals never reach
        // it, so `post` checks the URL itself first.
        let resolver = GuardedResolver {
            lookup: app.hosts.clone(),
            allow_private: app.config.webhooks.allow_private_urls,
        };
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .dns_resolver(resolver)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .expect("an HTTP client");
        Self { app, http }
    }

    /// One test-sized step: claims what fits (`webhooks.max_in_flight`, at most
    /// `webhooks.max_in_flight_per_endpoint` per endpoint), sends it all concurrently and
    /// waits for every send it started. Production uses [`super::dispatch::run`] instead,
    /// which never waits for the slowest send before claiming more.
    pub async fn run_once(&self) -> Result<Step, StoreError> {
        let claimed = self.claim(self.max_in_flight()).await?;
        if claimed.is_empty() {
            return Ok(Step::Idle);
        }
        let sends = claimed.iter().map(|d| self.deliver(d));
        for result in futures::future::join_all(sends).await {
            result?;
        }
        Ok(Step::Worked(claimed.len()))
    }

    /// Sends this instance keeps in flight at most.
    pub(super) fn max_in_flight(&self) -> usize {
        usize::try_from(self.app.config.webhooks.max_in_flight).unwrap_or(usize::MAX)
    }

    /// How long the last sends may take once shutdown is asked for.
    pub(super) fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.app.config.webhooks.request_timeout_secs)
    }

    /// Leases up to `limit` due deliveries, within the per-endpoint cap.
    pub(super) async fn claim(&self, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        crate::metrics::worker_stepped("webhook_delivery");
        let now = self.app.clock.now();
        // A leased delivery whose worker died is retried once the lease ends: long enough for
        // the attempt's own timeout, short enough that a restart resumes promptly.
        let lease =
            i64::try_from(self.app.config.webhooks.request_timeout_secs).unwrap_or(60) * 2 + 5;
        let limits = ClaimLimits {
            total: u32::try_from(limit).unwrap_or(u32::MAX),
            per_endpoint: self.app.config.webhooks.max_in_flight_per_endpoint,
        };
        self.app
            .store
            .claim_deliveries(now, now.plus_seconds(lease), limits)
            .await
    }

    /// Sends one claimed delivery and records the attempt (which releases its lease).
    pub(super) async fn deliver(&self, delivery: &Delivery) -> Result<(), StoreError> {
        let endpoint = self
            .app
            .store
            .endpoint(delivery.environment_id, &delivery.endpoint_id)
            .await?;
        let attempted_at = self.app.clock.now();
        let sent = match endpoint.filter(|e| e.enabled) {
            None => Sent {
                status: None,
                retry_after: None,
                error: Some("endpoint disabled".into()),
                duration_ms: 0,
            },
            Some(endpoint) => {
                let secret = self
                    .app
                    .webhook_key
                    .endpoint_secret(&endpoint.id, endpoint.secret_version);
                self.post(&endpoint.url, &secret, delivery, attempted_at)
                    .await
            }
        };
        let succeeded = sent.status.is_some_and(|s| (200..300).contains(&s));
        let outcome = self.outcome(delivery, &sent, succeeded, attempted_at);
        let label = match outcome.status {
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Pending => "retry",
            DeliveryStatus::Failed => "failed",
        };
        metrics::counter!("sluice_webhook_attempts_total", "outcome" => label).increment(1);
        let attempt = Attempt {
            attempted_at,
            status_code: sent.status.map(i32::from),
            duration_ms: sent.duration_ms,
            error: sent.error.clone(),
        };
        if !succeeded {
            tracing::warn!(delivery.id = %delivery.id, webhook.status = ?sent.status, error = ?sent.error, "webhook delivery attempt failed");
        }
        self.app
            .store
            .record_attempt(&delivery.id, &attempt, &outcome)
            .await
    }

    fn outcome(
        &self,
        delivery: &Delivery,
        sent: &Sent,
        succeeded: bool,
        now: Timestamp,
    ) -> AttemptOutcome {
        if succeeded {
            return AttemptOutcome {
                status: DeliveryStatus::Succeeded,
                next_attempt_at: None,
            };
        }
        if sent.error.as_deref() == Some("endpoint disabled") {
            return AttemptOutcome {
                status: DeliveryStatus::Failed,
                next_attempt_at: None,
            };
        }
        let schedule = self.app.config.webhooks.retry_schedule.delays();
        let Some(delay) = usize::try_from(delivery.attempts)
            .ok()
            .and_then(|n| schedule.get(n))
            .and_then(|d| i64::try_from(d.as_secs()).ok())
        else {
            return AttemptOutcome {
                status: DeliveryStatus::Failed,
                next_attempt_at: None,
            };
        };
        // Up to 10 % jitter spreads retries of many deliveries that failed together.
        let jitter = (delay / 10).max(0);
        let jitter = if jitter > 0 {
            i64::from(rand_u32() % u32::try_from(jitter + 1).unwrap_or(1))
        } else {
            0
        };
        let wait = (delay + jitter).max(sent.retry_after.unwrap_or(0).min(MAX_RETRY_AFTER_SECS));
        AttemptOutcome {
            status: DeliveryStatus::Pending,
            next_attempt_at: Some(now.plus_seconds(wait)),
        }
    }

    async fn post(&self, url: &str, secret: &str, delivery: &Delivery, now: Timestamp) -> Sent {
        let allow_private = self.app.config.webhooks.allow_private_urls;
        let Ok(url) = crate::webhook_url::check(url, allow_private) else {
            return Sent::refused();
        };
        let timestamp = now.millis() / 1000;
        let body = delivery.payload.as_bytes().to_vec();
        let mut request = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("user-agent", "Sluice-Webhooks/1");
        for (name, value) in signature_headers(secret, &delivery.event_id, timestamp, &body) {
            request = request.header(name, value);
        }
        let started = Instant::now();
        let result = request.body(body).send().await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match result {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<i64>().ok());
                let error = (!response.status().is_success()).then(|| format!("HTTP {status}"));
                Sent {
                    status: Some(status),
                    retry_after,
                    error,
                    duration_ms,
                }
            }
            Err(e) if caused_by::<Refused>(&e) => Sent::refused(),
            Err(e) => {
                let error = if e.is_timeout() {
                    "timed out".to_owned()
                } else {
                    format!("request failed: {e}")
                };
                Sent {
                    status: None,
                    retry_after: None,
                    error: Some(error),
                    duration_ms,
                }
            }
        }
    }
}

fn rand_u32() -> u32 {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    u32::from_le_bytes(bytes)
}
