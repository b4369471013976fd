//! The smaller contract edges, on SQLite and PostgreSQL: a repeated query parameter is a JSON
//! `400 invalid_request`; `memo` numbers come back exactly as sent (S1, S2, S4, S5 and the
//! webhook body); amounts and `tokenDecimals` that could never be quoted are refused at
//! creation.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sluice_server::config::Config;
use sluice_server::workers::Step;
use sluice_server::workers::delivery::DeliveryWorker;

async fn repeated_query_parameters_are_refused_as_json(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let list = app
        .server(Method::GET, "/flows?limit=5&limit=500", None)
        .await;
    assert_eq!(list.header("content-type"), Some("application/json"));
    let body = list.assert_error(400, "invalid_request");
    assert!(body["error"].as_str().unwrap().contains("limit"), "{body}");
    let qr = "/pay/qr.svg?data=ethereum:0x0&data=bitcoin:x";
    let reply = app.send(Method::GET, qr, &[], None).await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.assert_error(400, "invalid_request");
    // One of each still works.
    let once = app.server(Method::GET, "/flows?limit=5", None).await;
    assert_eq!(once.status, 200, "{}", once.body);
}

const MEMO: &str = r#"{"a":1e2,"b":1.10,"c":123456789012345678901234567890,"d":{"e":-0.0}}"#;

/// A raw request; answers the status and the body's exact text.
async fn raw(app: &TestApp, method: Method, path: &str, body: Option<String>) -> (u16, String) {
    let mut request = app
        .http
        .request(
            method,
            format!("{}/api/v0/server/{}{path}", app.base, app.env_id),
        )
        .bearer_auth(&app.api_token)
        .header("content-type", "application/json");
    if let Some(body) = body {
        request = request.body(body);
    }
    let reply = request.send().await.unwrap();
    (reply.status().as_u16(), reply.text().await.unwrap())
}

fn with_memo(body: Value) -> String {
    let text = body.to_string();
    format!("{{\"memo\":{MEMO},{}", &text[1..])
}

async fn memo_numbers_come_back_as_sent(backend: Backend) {
    let mut config = Config::default();
    config.webhooks.allow_private_urls = true;
    config.rate_limit.enabled = false;
    let Some(app) = TestApp::spawn_with(backend, config).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let hook = app
        .server(
            Method::POST,
            "/webhooks",
            Some(&json!({"url": receiver.url, "eventTypes": ["flow.execution.updated"]})),
        )
        .await;
    assert_eq!(hook.status, 201, "{}", hook.body);
    let (status, created) = raw(
        &app,
        Method::POST,
        "/flow/payment",
        Some(with_memo(flow_body())),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert!(created.contains(MEMO), "S1: {created}");
    let id = serde_json::from_str::<Value>(&created).unwrap()["flow"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, got) = raw(&app, Method::GET, &format!("/flow/{id}"), None).await;
    assert!(got.contains(MEMO), "S2: {got}");
    let (_, listed) = raw(&app, Method::GET, "/flows", None).await;
    assert!(listed.contains(MEMO), "S4: {listed}");
    let (status, link) = raw(
        &app,
        Method::POST,
        "/payment-links",
        Some(with_memo(flow_body())),
    )
    .await;
    assert_eq!(status, 201, "{link}");
    assert!(link.contains(MEMO), "S5: {link}");
    // An event carries the server view: its memo is sent as written too.
    app.attach_wallet(&id).await;
    let worker = DeliveryWorker::new(app.state.clone());
    while let Step::Worked(_) = worker.run_once().await.unwrap() {}
    let received = receiver.received.lock().unwrap().clone();
    let event = received
        .iter()
        .map(|(_, body)| body)
        .find(|body| body.contains("flow.execution.updated"))
        .expect("the attach's event was delivered");
    assert!(event.contains(MEMO), "webhook: {event}");
}

async fn amounts_that_could_never_be_quoted_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut decimals = flow_body();
    decimals["settlementConfig"]["settlements"][0]["tokenDecimals"] = json!(39);
    let mut digits = flow_body();
    digits["amount"] = json!("9".repeat(39));
    for (body, field) in [
        (decimals, "settlementConfig.settlements[0].tokenDecimals"),
        (digits, "amount"),
    ] {
        let reply = app.server(Method::POST, "/flow/payment", Some(&body)).await;
        let error = reply.assert_error(422, "validation_failed");
        let first = &error["payload"]["errors"][0];
        assert_eq!(
            (first["field"].as_str(), first["code"].as_str()),
            (Some(field), Some("out_of_range")),
            "{error}"
        );
    }
    // The largest accepted ones are accepted: 38 decimals, 38 significant digits, and any
    // number of fractional digits beyond them.
    let mut most = flow_body();
    most["settlementConfig"]["settlements"][0]["tokenDecimals"] = json!(38);
    most["amount"] = json!(format!("0.{}1", "0".repeat(50)));
    let reply = app.server(Method::POST, "/flow/payment", Some(&most)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

both_backends!(
    repeated_query_parameters_are_refused_as_json,
    memo_numbers_come_back_as_sent,
    amounts_that_could_never_be_quoted_are_refused,
);
