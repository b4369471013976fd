//! Prometheus metrics, rendered on `GET /metrics`: HTTP requests and latency by route, method
//! and status; flows by execution state (counted from the database at scrape time); webhook
//! attempt outcomes and sends in flight; settlement verdicts; and when each worker last
//! stepped (its lag is `time() - sluice_worker_last_step_timestamp_seconds`).

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;
use crate::error::ApiError;

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

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics",
    responses(
        (status = 200, description = "Prometheus text exposition format.", body = String, content_type = "text/plain; version=0.0.4"),
    ),
)]
pub async fn render(State(app): State<AppState>) -> Result<Response, ApiError> {
    let handle = handle();
    for (state, count) in app.store.count_flows_by_state().await? {
        metrics::gauge!("sluice_flows", "execution_state" => state).set(count as f64);
    }
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        "text/plain; version=0.0.4; charset=utf-8"
            .parse()
            .expect("a valid header"),
    );
    Ok(response)
}
