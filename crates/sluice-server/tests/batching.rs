//! Many concurrent requests on many flows at once: the backends batch them (group commit on
//! SQLite; batched transitions and batched reads on PostgreSQL), and every caller must still
//! get exactly its own answer.

mod common;

use common::*;
use futures::future::join_all;
use reqwest::Method;
use sluice_domain::TokenHash;

both_backends!(
    concurrent_reads_each_get_their_own_flow,
    concurrent_attaches_on_many_flows_each_rotate_their_own_token,
);

async fn concurrent_reads_each_get_their_own_flow(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (other_env, other_token) = app.other_environment().await;
    let mut own = Vec::new();
    for _ in 0..8 {
        own.push(app.create_flow().await);
    }
    let mut foreign = Vec::new();
    for _ in 0..4 {
        let reply = app
            .send(
                Method::POST,
                &format!("/api/v0/server/{other_env}/flow/payment"),
                &[("authorization", &format!("Bearer {other_token}"))],
                Some(&flow_body().to_string()),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        foreign.push(reply.body["flow"]["id"].as_str().unwrap().to_owned());
    }
    // (environment in the path, flow, expected status), each asked several times at once.
    let mut cases = Vec::new();
    for _ in 0..4 {
        for id in &own {
            cases.push((app.env_id, id.clone(), 200));
        }
        for id in &foreign {
            cases.push((other_env, id.clone(), 200));
            // Another environment's flow is absent, even inside a batch that also reads it.
            cases.push((app.env_id, id.clone(), 404));
        }
    }
    let paths: Vec<String> = cases
        .iter()
        .map(|(env, id, _)| format!("/api/v0/sdk/{env}/flow/{id}"))
        .collect();
    let replies = join_all(
        paths
            .iter()
            .map(|path| app.send(Method::GET, path, &[], None)),
    )
    .await;
    for ((env, id, status), reply) in cases.iter().zip(&replies) {
        assert_eq!(reply.status, *status, "{env} {id}: {}", reply.body);
        if *status == 200 {
            assert_eq!(reply.body["id"], id.as_str());
        }
    }
}

async fn concurrent_attaches_on_many_flows_each_rotate_their_own_token(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut flows = Vec::new();
    for _ in 0..12 {
        flows.push(app.create_flow().await);
    }
    // Three attaches per flow, all at once.
    let attempts: Vec<&String> = flows.iter().flat_map(|f| [f, f, f]).collect();
    let source = wallet_source();
    let replies = join_all(attempts.iter().map(|f| app.attach(f, &source))).await;
    for (flow, reply) in attempts.iter().zip(&replies) {
        assert_eq!(reply.status, 200, "{flow}: {}", reply.body);
        assert_eq!(reply.body["flow"]["id"], flow.as_str());
    }
    for flow in &flows {
        let stored = app.stored_flow(flow).await;
        let live = stored.session_token_hash.expect("a live token");
        let matching: Vec<&str> = attempts
            .iter()
            .zip(&replies)
            .map(|(f, r)| (f, r.body["sessionToken"].as_str().unwrap()))
            .filter(|(_, token)| TokenHash::of(token) == live)
            .map(|(f, _)| f.as_str())
            .collect();
        // Exactly one answer holds the live token, and it was an answer for this flow.
        assert_eq!(matching, vec![flow.as_str()], "{flow}");
        assert_eq!(stored.revision, 3, "{flow}: three transitions");
    }
}
