//! A counting JSON-RPC proxy in front of a node (anvil, litecoind): forwards every request
//! unchanged, its credentials included, and counts calls by method, so that tests can measure
//! what the watcher asks of a node.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use serde_json::Value;

#[derive(Clone)]
struct Upstream {
    url: String,
    http: reqwest::Client,
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

pub struct CountingProxy {
    pub url: String,
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

async fn forward(
    State(up): State<Upstream>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    if let Ok(request) = serde_json::from_slice::<Value>(&body) {
        let calls = match &request {
            Value::Array(batch) => batch.clone(),
            single => vec![single.clone()],
        };
        let mut counts = up.counts.lock().unwrap();
        for call in calls {
            let method = call["method"].as_str().unwrap_or("?").to_owned();
            *counts.entry(method).or_default() += 1;
        }
    }
    let mut request = up
        .http
        .post(&up.url)
        .header("content-type", "application/json");
    if let Some(auth) = headers.get("authorization") {
        request = request.header("authorization", auth);
    }
    let answer = request.body(body).send().await.expect("the node answers");
    let status = answer.status().as_u16();
    let bytes = answer.bytes().await.unwrap();
    axum::response::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(bytes))
        .unwrap()
}

impl CountingProxy {
    pub async fn start(upstream: &str) -> Self {
        let counts = Arc::new(Mutex::new(BTreeMap::new()));
        let state = Upstream {
            url: upstream.to_owned(),
            http: reqwest::Client::new(),
            counts: counts.clone(),
        };
        let app = axum::Router::new()
            .route("/", post(forward))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, counts }
    }

    /// Calls by method since the last reset.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap().clone()
    }

    pub fn total(&self) -> u64 {
        self.counts().values().sum()
    }

    pub fn reset(&self) {
        self.counts.lock().unwrap().clear();
    }
}
