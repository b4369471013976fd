//! Rate limits on the payer routes: per client address and, for attach, per flow; a `429
//! rate_limited` with `Retry-After` that the browser can read (CORS headers included).

mod common;

use common::*;
use reqwest::Method;
use sluice_server::config::Config;

fn config(client_burst: u32, flow_burst: u32, trust_forwarded_for: bool) -> Config {
    let mut config = Config::default();
    config.rate_limit.per_client_burst = client_burst;
    config.rate_limit.per_client_per_minute = 1;
    config.rate_limit.per_flow_burst = flow_burst;
    config.rate_limit.per_flow_per_minute = 1;
    config.rate_limit.trust_forwarded_for = trust_forwarded_for;
    config
}

both_backends!(
    attach_is_limited_per_flow,
    payer_routes_are_limited_per_client
);

async fn attach_is_limited_per_flow(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, config(1000, 3, false)).await else {
        return;
    };
    let flow = app.create_flow().await;
    for _ in 0..3 {
        app.attach_wallet(&flow).await;
    }
    let reply = app.attach(&flow, &wallet_source()).await;
    reply.assert_error(429, "rate_limited");
    let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    assert_eq!(
        reply.header("access-control-expose-headers"),
        Some("Retry-After")
    );
    // Reads of the same flow and attaches to another flow are not limited by it.
    assert_eq!(
        app.payer(Method::GET, &flow, "", None, None).await.status,
        200
    );
    let other = app.create_flow().await;
    app.attach_wallet(&other).await;
}

async fn payer_routes_are_limited_per_client(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, config(4, 1000, false)).await else {
        return;
    };
    let flow = app.create_flow().await;
    for _ in 0..4 {
        assert_eq!(
            app.payer(Method::GET, &flow, "", None, None).await.status,
            200
        );
    }
    app.payer(Method::GET, &flow, "", None, None)
        .await
        .assert_error(429, "rate_limited");
    // Server routes are authenticated and not limited here.
    assert_eq!(
        app.server(Method::GET, &format!("/flow/{flow}"), None)
            .await
            .status,
        200
    );

    // Behind a trusted proxy, clients are told apart by X-Forwarded-For.
    let Some(proxied) = TestApp::spawn_with(backend, config(2, 1000, true)).await else {
        return;
    };
    let flow = proxied.create_flow().await;
    let path = format!("/api/v0/sdk/{}/flow/{flow}", proxied.env_id);
    for client in ["203.0.113.1", "203.0.113.2"] {
        for _ in 0..2 {
            let forwarded = format!("10.0.0.1, {client}");
            assert_eq!(
                proxied
                    .send(Method::GET, &path, &[("x-forwarded-for", &forwarded)], None)
                    .await
                    .status,
                200
            );
        }
    }
    let reply = proxied
        .send(
            Method::GET,
            &path,
            &[("x-forwarded-for", "203.0.113.1")],
            None,
        )
        .await;
    reply.assert_error(429, "rate_limited");
}
