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
        PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .expect("non-empty buckets")
            .install_recorder()
            .expect("the metrics recorder is installed once")
    })
}

/// Marks that a worker just stepped.
pub fn worker_stepped(worker: &'static str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    metrics::gauge!("sluice_worker_last_step_timestamp_seconds", "worker" => worker).set(now);
}
