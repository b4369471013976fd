//! Memory is bounded whatever clients send: made-up HTTP methods share one metrics label, and
//! payer requests with malformed IDs or unknown environments spend the client's rate-limit
//! allowance like every other request (they are counted before anything is looked up).
//! Bounded in count; no timing.

mod common;

use common::*;
use reqwest::Method;
use sluice_server::config::Config;

async fn made_up_methods_share_one_label(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for i in 0..50 {
        let method = Method::from_bytes(format!("M{i:08}X").as_bytes()).unwrap();
        let reply = app.send(method, "/healthz", &[], None).await;
        assert_eq!(reply.status, 405, "{}", reply.body);
    }
    let metrics = app.send(Method::GET, "/metrics", &[], None).await;
    let text = metrics.body.as_str().unwrap();
    assert!(!text.contains("M0000"), "a made-up method became a label");
    assert!(
        text.lines()
            .any(|l| l.starts_with("sluice_http_requests_total")
                && l.contains("method=\"other\"")
                && l.contains("route=\"/healthz\"")),
        "{text}"
    );
}

async fn malformed_and_unknown_requests_are_rate_limited(backend: Backend) {
    let mut config = Config::default();
    config.rate_limit.per_client_burst = 4;
    config.rate_limit.per_client_per_minute = 1;
    let Some(app) = TestApp::spawn_with(backend, config).await else {
        return;
    };
    let unknown_env = uuid::Uuid::new_v4();
    let flow = uuid::Uuid::new_v4();
    let paths = [
        format!("/api/v0/sdk/not-a-uuid/flow/{flow}"),
        format!("/api/v0/sdk/{}/flow/NOT-A-UUID", app.env_id),
        format!("/api/v0/sdk/{unknown_env}/flow/{flow}"),
        format!("/api/v0/sdk/{unknown_env}/flow/{flow}/source"),
    ];
    let mut statuses = Vec::new();
    for path in &paths {
        statuses.push(app.send(Method::GET, path, &[], None).await.status.as_u16());
    }
    assert_eq!(statuses, [400, 400, 404, 404]);
    for path in &paths {
        let reply = app.send(Method::GET, path, &[], None).await;
        reply.assert_error(429, "rate_limited");
        assert!(reply.header("retry-after").is_some());
    }
    // Every request was counted under the one client address; no flow key was made up.
    assert_eq!(app.state.rate_limits.tracked_keys(), (1, 0));
}

both_backends!(
    made_up_methods_share_one_label,
    malformed_and_unknown_requests_are_rate_limited
);
