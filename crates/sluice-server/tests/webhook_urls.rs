//! Webhook URLs cannot reach a private network (issue: SSRF), on SQLite and PostgreSQL. Every
//! request in here goes to loopback only: registration is refused for each spelling of a
//! loopback address, host names are pinned with the test's host table (never a DNS query),
//! and the connect-time check is shown by a name that re-points to loopback after
//! registration (DNS rebinding) and by a row stored under an older rule.

mod common;

use std::net::IpAddr;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sluice_server::workers::Step;
use sluice_server::workers::delivery::DeliveryWorker;

const LOOPBACK_SPELLINGS: &[&str] = &[
    "http://127.0.0.1:{port}/hook",
    "http://0x7f000001:{port}/hook",
    "http://2130706433:{port}/hook",
    "http://127.1:{port}/hook",
    "http://0177.0.0.1:{port}/hook",
    "http://127.0.0.1.:{port}/hook",
    "http://0:{port}/hook",
    "http://%31%32%37.0.0.1:{port}/hook",
    "http://\u{ff11}\u{ff12}\u{ff17}.0.0.1:{port}/hook",
    "http://[::1]:{port}/hook",
    "http://[::ffff:127.0.0.1]:{port}/hook",
    "http://[::ffff:7f00:1]:{port}/hook",
    "http://localhost:{port}/hook",
    "http://127.0.0.1:{port}\\@a.example/hook",
    "http://user:pw@127.0.0.1:{port}/hook",
];

async fn drain(worker: &DeliveryWorker) -> usize {
    let mut n = 0;
    while let Step::Worked(k) = worker.run_once().await.unwrap() {
        n += k;
    }
    n
}

fn port(receiver: &Receiver) -> String {
    receiver
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/hook")
        .to_owned()
}

async fn loopback_spellings_are_refused_at_registration(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let port = port(&receiver);
    app.hosts
        .set("hooks.internal", &["127.0.0.1".parse().unwrap()]);
    let pinned = format!("http://hooks.internal:{port}/hook");
    let spellings = LOOPBACK_SPELLINGS
        .iter()
        .map(|s| s.replace("{port}", &port));
    for url in spellings.chain([pinned]) {
        let reply = app
            .server(Method::POST, "/webhooks", Some(&json!({ "url": url })))
            .await;
        let error = reply.assert_error(422, "validation_failed");
        let code = error["payload"]["errors"][0]["code"].as_str().unwrap();
        assert!(code == "not_allowed" || code == "pattern", "{url}: {error}");
    }
    let listed = app.server(Method::GET, "/webhooks", None).await;
    assert_eq!(listed.body["webhooks"], json!([]));
    assert!(receiver.received.lock().unwrap().is_empty());
}

async fn attempts(app: &TestApp, endpoint: &str) -> Vec<Value> {
    let path = format!("/webhooks/{endpoint}/deliveries");
    let reply = app.server(Method::GET, &path, None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["deliveries"][0]["attempts"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_name_rebound_to_loopback_is_refused_at_connect_time(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let worker = DeliveryWorker::new(app.state.clone());
    let receiver = Receiver::start().await;
    // A public answer at registration (nothing is sent to it)...
    let public: IpAddr = "8.8.8.8".parse().unwrap();
    app.hosts.set("rebind.example", &[public]);
    let url = format!("http://rebind.example:{}/hook", port(&receiver));
    let reply = app
        .server(Method::POST, "/webhooks", Some(&json!({ "url": url })))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let endpoint = reply.body["id"].as_str().unwrap().to_owned();
    // ...then loopback when the delivery connects.
    app.hosts.set(
        "rebind.example",
        &["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
    );
    assert_eq!(drain(&worker).await, 1);
    assert!(receiver.received.lock().unwrap().is_empty());
    let attempts = attempts(&app, &endpoint).await;
    assert_eq!(attempts.len(), 1);
    let error = attempts[0]["error"].as_str().unwrap();
    assert!(error.starts_with("refused"), "{error}");
    assert!(
        !error.contains(&port(&receiver)) && !error.contains("127.0.0.1"),
        "{error}"
    );
    assert!(attempts[0]["statusCode"].is_null());
}

async fn a_stored_loopback_url_is_refused_before_sending(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let worker = DeliveryWorker::new(app.state.clone());
    let receiver = Receiver::start().await;
    app.hosts
        .set("hooks.example", &["8.8.8.8".parse().unwrap()]);
    let reply = app
        .server(
            Method::POST,
            "/webhooks",
            Some(&json!({"url": "https://hooks.example/in"})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    // As if registered while `allow_private_urls` was on: an IP literal, which the client
    // would connect to without asking the resolver.
    let mut stored = app.store.endpoint(app.env_id, &id).await.unwrap().unwrap();
    stored.url = receiver.url.replace("127.0.0.1", "0x7f000001");
    app.store.update_endpoint(&stored).await.unwrap();
    assert_eq!(drain(&worker).await, 1);
    assert!(receiver.received.lock().unwrap().is_empty());
    let error = attempts(&app, &id).await[0]["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(error.starts_with("refused"), "{error}");
}

both_backends!(
    loopback_spellings_are_refused_at_registration,
    a_name_rebound_to_loopback_is_refused_at_connect_time,
    a_stored_loopback_url_is_refused_before_sending,
);
