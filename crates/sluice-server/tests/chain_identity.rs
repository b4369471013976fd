//! Chain identity (spec §10.4), on SQLite and PostgreSQL with a real anvil: a node that serves
//! another chain ID than configured stops `serve` (naming both) and is never quoted on; a node
//! unreachable at first is asked again before use and serves once it has answered the right
//! chain ID; `/readyz` lists each chain's state.

mod common;

use common::binary::BIN;
use common::evm::{Anvil, NATIVE, free_port};
use common::*;
use reqwest::Method;
use serde_json::json;
use sluice_server::config::Config;

fn config(chain_id: &str, rpc_url: &str) -> Config {
    Config::parse(&format!(
        "[prices]\n\"ETH/USD\" = \"2500\"\n[[chains]]\nchain_name = \"EVM\"\nchain_id = \"{chain_id}\"\nrpc_url = \"{rpc_url}\"\n"
    ))
    .unwrap()
}

/// Creates a flow settling native ETH on `chain_id`, attaches a wallet, and quotes it.
async fn quote(app: &TestApp, chain_id: &str) -> Reply {
    let body = json!({
        "amount": "25.00", "currency": "USD",
        "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": chain_id, "tokenAddress": NATIVE, "symbol": "ETH", "tokenDecimals": 18}]},
        "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": VITALIK}]}
    });
    let flow = app.create_flow_with(body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let source = json!({"sourceType": "wallet", "fromAddress": VITALIK, "fromChainId": chain_id, "fromChainName": "EVM"});
    let attached = app.attach(&flow, &source).await;
    let token = attached.body["sessionToken"].as_str().unwrap().to_owned();
    app.payer(Method::POST, &flow, "/quote", Some(&token), None)
        .await
}

async fn readyz(app: &TestApp) -> String {
    let reply = app.send(Method::GET, "/readyz", &[], None).await;
    assert_eq!(reply.status, 200);
    reply.body.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn serve_refuses_a_node_of_another_chain() {
    let (Some(db), Some(anvil)) = (TestDb::create(Backend::Sqlite).await, Anvil::start().await)
    else {
        return;
    };
    let path = std::env::temp_dir().join(format!("sluice-chain-{}.toml", uuid::Uuid::new_v4()));
    let text = format!(
        "[[chains]]\nchain_name = \"EVM\"\nchain_id = \"8453\"\nrpc_url = \"{}\"\n",
        anvil.url
    );
    std::fs::write(&path, text).unwrap();
    let out = tokio::process::Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--config",
            path.to_str().unwrap(),
        ])
        .env("SLUICE_DATABASE_URL", &db.url)
        .output()
        .await
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "serve started: {err}");
    assert!(err.contains("8453") && err.contains("31337"), "{err}");
    assert!(
        !err.contains(&anvil.url),
        "the RPC URL may hold a key: {err}"
    );
    assert!(out.stdout.is_empty(), "nothing was created");
}

async fn a_node_of_another_chain_is_never_quoted_on(backend: Backend) {
    let Some(anvil) = Anvil::start().await else {
        return;
    };
    // Configured as Base, served by a local chain 31337 (as if started without a check).
    let Some(app) = TestApp::spawn_with(backend, config("8453", &anvil.url)).await else {
        return;
    };
    let reply = quote(&app, "8453").await;
    let body = reply.assert_error(502, "chain_unavailable");
    assert!(body["error"].as_str().unwrap().contains("31337"), "{body}");
    assert!(
        readyz(&app)
            .await
            .contains("chain EVM 8453: wrong network: the node reports chain ID 31337")
    );
}

async fn an_unreachable_node_is_asked_again_before_use(backend: Backend) {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let Some(app) = TestApp::spawn_with(backend, config("31337", &url)).await else {
        return;
    };
    quote(&app, "31337")
        .await
        .assert_error(502, "chain_unavailable");
    assert!(
        readyz(&app).await.contains("chain EVM 31337: unreachable"),
        "{}",
        readyz(&app).await
    );
    // The node comes up where the server expects it; after the re-check interval it is proven.
    let Some(_anvil) = Anvil::start_on(31337, Some(port), &[]).await else {
        return;
    };
    app.clock.advance_seconds(6);
    let quoted = quote(&app, "31337").await;
    assert_eq!(quoted.status, 200, "{}", quoted.body);
    assert!(readyz(&app).await.contains("chain EVM 31337: ok"));
}

both_backends!(
    a_node_of_another_chain_is_never_quoted_on,
    an_unreachable_node_is_asked_again_before_use,
);
