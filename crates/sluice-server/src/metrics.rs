//! Prometheus metrics: the process-wide recorder and the helpers that record into it. HTTP
//! requests and latency by route, method and status; webhook attempt outcomes and sends in
//! flight; settlement verdicts; and when each worker last stepped (its lag is
//! `time() - sluice_worker_last_step_timestamp_seconds`). `http/metrics.rs` renders them.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds, from sub-millisecond to the request timeout range.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("non-empty buckets")
            .install_recorder()
            .expect("the metrics recorder is installed once");
        describe();
        handle
    })
}

/// The `# HELP` line of every metric (a metric appears once it has a value).
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "sluice_http_requests_total",
        "HTTP requests answered, by route template, method and status."
    );
    describe_histogram!(
        "sluice_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route template, method and status."
    );
    describe_gauge!(
        "sluice_flows",
        "Stored flows by execution state, counted at scrape time."
    );
    describe_counter!(
        "sluice_webhook_attempts_total",
        "Webhook delivery attempts by outcome (succeeded, retry, failed)."
    );
    describe_gauge!(
        "sluice_webhook_in_flight",
        "Webhook sends this instance has running."
    );
    describe_counter!(
        "sluice_settlement_verdicts_total",
        "Verdicts on broadcast payments, by the execution state they set."
    );
    describe_counter!(
        "sluice_deposit_blocks_scanned_total",
        "Blocks the chain watcher has scanned, by chain."
    );
    describe_counter!(
        "sluice_deposits_recorded_total",
        "Confirmed transfers to deposit addresses recorded on flows, by whether they counted."
    );
    describe_gauge!(
        "sluice_deposit_addresses_watched",
        "Deposit addresses the chain watcher looks for."
    );
    describe_gauge!(
        "sluice_wallet_payments_watched",
        "Broadcast wallet payments awaiting a verdict."
    );
    describe_gauge!(
        "sluice_worker_last_step_timestamp_seconds",
        metrics::Unit::Seconds,
        "When each background worker last stepped (Unix time); alert on time() minus this."
    );
}

/// Marks that a worker just stepped.
pub fn worker_stepped(worker: &'static str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    metrics::gauge!("sluice_worker_last_step_timestamp_seconds", "worker" => worker).set(now);
}
