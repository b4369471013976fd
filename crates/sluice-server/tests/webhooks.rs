//! Webhooks over real HTTP, on SQLite and PostgreSQL: the endpoints API, events fanned out
//! from the outbox, signatures checked with an independent Standard Webhooks implementation,
//! retries on the schedule (stepped with the manual clock), `Retry-After`, redelivery, and
//! endpoints that are disabled or filter event types.

mod common;

use common::*;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sluice_server::config::Config;
use sluice_server::workers::Step;
use sluice_server::workers::delivery::DeliveryWorker;

fn config() -> Config {
    let mut config = Config::default();
    config.webhooks.allow_private_urls = true;
    config
}

async fn app(backend: Backend) -> Option<(TestApp, DeliveryWorker)> {
    let app = TestApp::spawn_with(backend, config()).await?;
    let worker = DeliveryWorker::new(app.state.clone());
    Some((app, worker))
}

async fn drain(worker: &DeliveryWorker) -> usize {
    let mut n = 0;
    while let Step::Worked(k) = worker.run_once().await.unwrap() {
        n += k;
    }
    n
}

async fn create_endpoint(app: &TestApp, body: Value) -> Value {
    let reply = app.server(Method::POST, "/webhooks", Some(&body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

/// Checks both signature headers of a received request against `secret`: `webhook-signature`
/// with the standardwebhooks crate's signer, `x-dynamic-signature-256` with HMAC-SHA256 keyed
/// by the whole secret string.
fn assert_signed(headers: &reqwest::header::HeaderMap, body: &str, secret: &str) {
    let h = |name: &str| {
        headers
            .get(name)
            .unwrap_or_else(|| panic!("missing {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let (id, timestamp) = (
        h("webhook-id"),
        h("webhook-timestamp").parse::<i64>().unwrap(),
    );
    let expected = standardwebhooks::Webhook::new(secret)
        .unwrap()
        .sign(&id, timestamp, body.as_bytes())
        .unwrap();
    assert_eq!(h("webhook-signature"), expected);
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(h("x-dynamic-signature-256"), format!("sha256={hex}"));
}

both_backends!(
    endpoints_api_and_a_signed_ping,
    transitions_are_delivered_once_per_changed_axis,
    retries_follow_the_schedule_then_give_up_and_redeliver_works,
    a_receiver_that_was_down_gets_every_event_when_back,
);

async fn endpoints_api_and_a_signed_ping(backend: Backend) {
    let Some((app, worker)) = app(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let created = create_endpoint(&app, json!({"url": receiver.url})).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        (
            created["enabled"].as_bool(),
            created["eventTypes"].is_null()
        ),
        (Some(true), true)
    );
    let id = created["id"].as_str().unwrap().to_owned();

    assert_eq!(drain(&worker).await, 1);
    let (headers, body) = receiver.received.lock().unwrap()[0].clone();
    assert_signed(&headers, &body, &secret);
    let ping: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (ping["type"].as_str(), ping["data"]["endpointId"].as_str()),
        (Some("ping"), Some(id.as_str()))
    );

    let got = app
        .server(Method::GET, &format!("/webhooks/{id}"), None)
        .await;
    assert!(
        got.body.get("secret").is_none(),
        "the secret is shown only on create and rotate"
    );
    let list = app.server(Method::GET, "/webhooks", None).await;
    assert_eq!(list.body["webhooks"].as_array().unwrap().len(), 1);
    let deliveries = app
        .server(Method::GET, &format!("/webhooks/{id}/deliveries"), None)
        .await;
    let d = &deliveries.body["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["eventType"].as_str()),
        (Some("succeeded"), Some("ping"))
    );
    assert_eq!(d["attempts"][0]["statusCode"], 200);

    let rotated = app
        .server(Method::POST, &format!("/webhooks/{id}/rotate-secret"), None)
        .await;
    let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let flow = app.create_flow().await;
    app.attach_wallet(&flow).await;
    drain(&worker).await;
    let (headers, body) = receiver.received.lock().unwrap().last().unwrap().clone();
    assert_signed(&headers, &body, &new_secret);

    let patched = app
        .server(
            Method::PATCH,
            &format!("/webhooks/{id}"),
            Some(&json!({"enabled": false})),
        )
        .await;
    assert_eq!(patched.body["enabled"], false);
    let before = receiver.count();
    let flow = app.create_flow().await;
    app.attach_wallet(&flow).await;
    assert_eq!(drain(&worker).await, 0, "a disabled endpoint gets nothing");
    assert_eq!(receiver.count(), before);

    for (body, field) in [
        (json!({}), "url"),
        (json!({"url": "ftp://x"}), "url"),
        (
            json!({"url": receiver.url, "eventTypes": ["flow.paid"]}),
            "eventTypes[0]",
        ),
    ] {
        let reply = app.server(Method::POST, "/webhooks", Some(&body)).await;
        assert_eq!(
            reply.assert_error(422, "validation_failed")["payload"]["errors"][0]["field"],
            field
        );
    }
    let deleted = app
        .server(Method::DELETE, &format!("/webhooks/{id}"), None)
        .await;
    assert_eq!(deleted.body["deleted"], true);
    app.server(Method::GET, &format!("/webhooks/{id}"), None)
        .await
        .assert_error(404, "not_found");
    // Private targets are refused unless the operator allows them.
    let strict = TestApp::spawn(backend).await.unwrap();
    let reply = strict
        .server(
            Method::POST,
            "/webhooks",
            Some(&json!({"url": "http://127.0.0.1:9/hook"})),
        )
        .await;
    assert_eq!(
        reply.assert_error(422, "validation_failed")["payload"]["errors"][0]["code"],
        "not_allowed"
    );
    // The scope is webhook.write.
    let path = format!("/api/v0/server/{}/webhooks", app.env_id);
    app.send(Method::GET, &path, &[], None)
        .await
        .assert_error(401, "unauthorized");
}

async fn transitions_are_delivered_once_per_changed_axis(backend: Backend) {
    let Some((app, worker)) = app(backend).await else {
        return;
    };
    let all = Receiver::start().await;
    let execution_only = Receiver::start().await;
    create_endpoint(&app, json!({"url": all.url})).await;
    create_endpoint(
        &app,
        json!({"url": execution_only.url, "eventTypes": ["flow.execution.updated"]}),
    )
    .await;
    drain(&worker).await;
    let flow = app.create_flow().await;
    let token = app.attach_wallet(&flow).await;
    app.cancel_as_payer(&flow, &token).await;
    drain(&worker).await;
    let events: Vec<Value> = all
        .bodies()
        .into_iter()
        .filter(|b| b["type"] != "ping")
        .collect();
    // Per-endpoint ordering is not promised: compare as a multiset.
    let mut types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "flow.execution.updated",
            "flow.execution.updated",
            "flow.risk.updated"
        ]
    );
    let attached = events
        .iter()
        .find(|e| e["data"]["newState"] == "source_attached")
        .expect("the attach event");
    let first = &attached["data"];
    assert_eq!(
        (first["flowId"].as_str(), first["axis"].as_str()),
        (Some(flow.as_str()), Some("execution"))
    );
    assert_eq!(
        (first["previousState"].as_str(), first["newState"].as_str()),
        (Some("initiated"), Some("source_attached"))
    );
    assert_eq!(first["environmentId"], app.env_id.to_string());
    assert_eq!(
        first["flow"]["id"],
        flow.as_str(),
        "the server view of the flow rides along"
    );
    assert!(attached["timestamp"].is_string());
    let filtered: Vec<String> = execution_only
        .bodies()
        .iter()
        .filter(|b| b["type"] != "ping")
        .map(|b| b["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        filtered,
        ["flow.execution.updated", "flow.execution.updated"]
    );
    // Each event has its own webhook-id, the same as its outbox event.
    let ids: std::collections::HashSet<String> = all
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), all.count());
}

async fn retries_follow_the_schedule_then_give_up_and_redeliver_works(backend: Backend) {
    let Some((app, worker)) = app(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.fail_with(500);
    let id = create_endpoint(&app, json!({"url": receiver.url})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(drain(&worker).await, 1);
    // Default schedule 15 s, 1 min, 10 min, 1 h, 1 day, each with up to 10 % jitter.
    for (i, delay) in [15, 60, 600, 3600, 86_400].into_iter().enumerate() {
        app.clock.advance_seconds(delay - 1);
        assert_eq!(
            drain(&worker).await,
            0,
            "retry {} is not due before {delay} s",
            i + 1
        );
        app.clock.advance_seconds(delay / 10 + 1);
        assert_eq!(
            drain(&worker).await,
            1,
            "retry {} is due after {delay} s + jitter",
            i + 1
        );
    }
    assert_eq!(receiver.count(), 6);
    app.clock.advance_seconds(10 * 86_400);
    assert_eq!(drain(&worker).await, 0, "the schedule is exhausted");
    let deliveries = app
        .server(Method::GET, &format!("/webhooks/{id}/deliveries"), None)
        .await;
    let d = &deliveries.body["deliveries"][0];
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"].as_array().unwrap().len(), 6);
    assert_eq!(d["attempts"][0]["statusCode"], 500);
    assert_eq!(d["attempts"][0]["error"], "HTTP 500");

    receiver.fail_with(200);
    let delivery_id = d["id"].as_str().unwrap();
    let reply = app
        .server(
            Method::POST,
            &format!("/webhooks/deliveries/{delivery_id}/redeliver"),
            None,
        )
        .await;
    assert_eq!(reply.body["status"], "pending");
    assert_eq!(drain(&worker).await, 1);
    assert_eq!(receiver.count(), 7);
    app.server(Method::POST, "/webhooks/deliveries/nope/redeliver", None)
        .await
        .assert_error(404, "not_found");

    // Retry-After longer than the schedule's delay is honoured.
    receiver.fail_with(503);
    *receiver.retry_after.lock().unwrap() = Some("120".into());
    let flow = app.create_flow().await;
    app.attach_wallet(&flow).await;
    let sent = receiver.count();
    drain(&worker).await;
    assert_eq!(
        receiver.count(),
        sent + 2,
        "execution and risk events, one attempt each"
    );
    app.clock.advance_seconds(100);
    assert_eq!(
        drain(&worker).await,
        0,
        "Retry-After: 120 beats the 15 s schedule"
    );
    app.clock.advance_seconds(21);
    assert_eq!(drain(&worker).await, 2);
}

async fn a_receiver_that_was_down_gets_every_event_when_back(backend: Backend) {
    let Some((app, worker)) = app(backend).await else {
        return;
    };
    // Reserve a port, then free it: nothing listens there yet.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/hook");
    create_endpoint(&app, json!({"url": url})).await;
    let flow = app.create_flow().await;
    app.attach_wallet(&flow).await;
    assert_eq!(drain(&worker).await, 3, "ping and two events, all refused");
    let receiver = Receiver::start_on(tokio::net::TcpListener::bind(addr).await.unwrap()).await;
    app.clock.advance_seconds(17);
    assert_eq!(drain(&worker).await, 3);
    let types: Vec<String> = receiver
        .bodies()
        .iter()
        .map(|b| b["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(types.len(), 3);
    assert!(types.contains(&"ping".to_owned()) && types.contains(&"flow.risk.updated".to_owned()));
}
