//! `GET /metrics`: the recorder's metrics in Prometheus text, plus flows by execution state
//! counted from the database at scrape time.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;
use crate::metrics::handle;

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
