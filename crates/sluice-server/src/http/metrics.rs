//! `GET /metrics`: the recorder's metrics in Prometheus text, plus flows by execution state
//! counted from the database at scrape time. Served on the main listener, or with
//! `serve --metrics-listen` only on a listener of its own (a private address), where nothing
//! else is served.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
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
    if app.metrics_elsewhere {
        return Err(ApiError::new(ErrorCode::NotFound, "No such route."));
    }
    exposition(&app).await
}

/// The router of the metrics listener: `GET /metrics` and nothing else.
pub fn router(app: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            axum::routing::get(|State(app): State<AppState>| async move { exposition(&app).await }),
        )
        .with_state(app)
}

async fn exposition(app: &AppState) -> Result<Response, ApiError> {
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
