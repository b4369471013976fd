//! The HTTP price feed, against a local test double that speaks Coinbase's spot-price format
//! (`GET /v2/prices/{BASE}-{CURRENCY}/spot` → `{"data": {"amount", "base", "currency"}}`).
//! The chain's RPC endpoint is unreachable here: quoting still works, without a fee estimate.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sluice_server::config::Config;

#[derive(Clone)]
struct Feed {
    hits: Arc<AtomicUsize>,
    healthy: bool,
}

async fn spot(
    State(feed): State<Feed>,
    Path(pair): Path<String>,
) -> Result<axum::Json<Value>, StatusCode> {
    feed.hits.fetch_add(1, Ordering::SeqCst);
    if !feed.healthy {
        return Err(StatusCode::SERVICE_UNAVAILABLE);
    }
    let (base, currency) = pair.split_once('-').ok_or(StatusCode::NOT_FOUND)?;
    match (base, currency) {
        ("ETH", "USD") => Ok(axum::Json(
            json!({"data": {"amount": "2000.00", "base": base, "currency": currency}}),
        )),
        _ => Err(StatusCode::NOT_FOUND),
    }
}

async fn start_feed(healthy: bool) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new()
        .route("/v2/prices/{pair}/spot", get(spot))
        .with_state(Feed {
            hits: hits.clone(),
            healthy,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hits)
}

fn config(feed: &str, rpc_url: &str) -> Config {
    Config::parse(&format!(
        r#"
        [price_feed]
        url = "{feed}"
        [[chains]]
        chain_name = "EVM"
        chain_id = "31337"
        rpc_url = "{rpc_url}"
        "#
    ))
    .unwrap()
}

async fn quote_native_usd(app: &TestApp) -> Reply {
    let body = json!({
        "amount": "25.00", "currency": "USD",
        "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": "31337", "tokenAddress": common::evm::NATIVE, "symbol": "ETH", "tokenDecimals": 18}]},
        "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": VITALIK}]}
    });
    let flow = app.create_flow_with(body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let source = json!({"sourceType": "wallet", "fromAddress": VITALIK, "fromChainId": "31337", "fromChainName": "EVM"});
    let token = app.attach(&flow, &source).await.body["sessionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    app.payer(Method::POST, &flow, "/quote", Some(&token), None)
        .await
}

both_backends!(
    prices_come_from_the_feed_and_are_cached,
    a_failing_feed_is_no_route
);

async fn prices_come_from_the_feed_and_are_cached(backend: Backend) {
    let (url, hits) = start_feed(true).await;
    let Some(chain) = common::evm::Anvil::start().await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(backend, config(&url, &chain.url)).await else {
        return;
    };
    let reply = quote_native_usd(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["quote"]["toAmount"], "12500000000000000",
        "25 USD at 2,000 USD/ETH"
    );
    // A quote needs the chain's node to have proven its chain ID, so it also prices the fee.
    assert!(
        reply.body["quote"]["fees"].is_object(),
        "a fee estimate from the node: {}",
        reply.body
    );
    assert_eq!(quote_native_usd(&app).await.status, 200);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the second quote used the cached price"
    );
}

async fn a_failing_feed_is_no_route(backend: Backend) {
    let (url, hits) = start_feed(false).await;
    let Some(chain) = common::evm::Anvil::start().await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(backend, config(&url, &chain.url)).await else {
        return;
    };
    let reply = quote_native_usd(&app).await;
    let reason = &reply.assert_error(422, "no_route")["payload"]["quoteFailures"][0]["reason"];
    assert!(reason.as_str().unwrap().contains("unavailable"), "{reason}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
