//! `kill -9` in the middle of a write load: every create and attach the server answered is
//! there after a restart. On SQLite the load writes well past the checkpoint thread's
//! 1,000-page mark before the kill, so the WAL is being copied back while writes go on and the
//! crash can land in a checkpoint as well as in a commit.

mod common;

use std::sync::{Arc, Mutex};

use common::binary::start_server_with;
use common::*;
use serde_json::Value;
use tokio::sync::Notify;

/// Flows created and attached before the kill.
const ANSWERED_BEFORE_KILL: usize = 800;
const WRITERS: usize = 16;

both_backends!(every_answered_write_survives_a_kill_during_a_write_load);

async fn every_answered_write_survives_a_kill_during_a_write_load(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let config = std::env::temp_dir().join(format!("sluice-crash-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&config, "[rate_limit]\nenabled = false\n").unwrap();
    let args = ["--config", config.to_str().unwrap()];
    let mut first = start_server_with(&db.url, &args).await;
    let created: Value = serde_json::from_str(&first.stdout).unwrap();
    let env = created["environmentId"].as_str().unwrap().to_owned();
    let token = created["apiToken"].as_str().unwrap().to_owned();
    let http = {
        sluice_chain::ensure_tls();
        reqwest::Client::new()
    };

    // (flow ID, whether its attach was answered), only for answered creates.
    let answered = Arc::new(Mutex::new(Vec::<(String, bool)>::new()));
    let enough = Arc::new(Notify::new());
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..WRITERS {
        let (http, base, env, token) =
            (http.clone(), first.base.clone(), env.clone(), token.clone());
        let (answered, enough) = (answered.clone(), enough.clone());
        writers.spawn(async move {
            // Ends at the first request the killed server cannot answer.
            while let Some(id) = create(&http, &base, &env, &token).await {
                let index = {
                    let mut answered = answered.lock().unwrap();
                    answered.push((id.clone(), false));
                    answered.len() - 1
                };
                let url = format!("{base}/api/v0/sdk/{env}/flow/{id}/source");
                let Ok(reply) = http.post(url).json(&wallet_source()).send().await else {
                    break;
                };
                if reply.status() == 200 && reply.bytes().await.is_ok() {
                    answered.lock().unwrap()[index].1 = true;
                }
                if index + 1 >= ANSWERED_BEFORE_KILL {
                    enough.notify_one();
                }
            }
        });
    }
    tokio::time::timeout(std::time::Duration::from_secs(120), enough.notified())
        .await
        .expect("the load answered enough writes within 120 s");
    first.child.start_kill().unwrap();
    first.child.wait().await.unwrap();
    while writers.join_next().await.is_some() {}

    let second = start_server_with(&db.url, &args).await;
    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= ANSWERED_BEFORE_KILL);
    for (id, attached) in &answered {
        let url = format!("{}/api/v0/server/{env}/flow/{id}", second.base);
        let reply = http.get(url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(reply.status(), 200, "answered flow {id} lost");
        let flow: Value = reply.json().await.unwrap();
        let state = flow["executionState"].as_str().unwrap();
        if *attached {
            assert_eq!(state, "source_attached", "answered attach of {id} lost");
        }
    }
    let _ = std::fs::remove_file(&config);
}

/// S1; `None` once the server no longer answers.
async fn create(http: &reqwest::Client, base: &str, env: &str, token: &str) -> Option<String> {
    let reply = http
        .post(format!("{base}/api/v0/server/{env}/flow/payment"))
        .bearer_auth(token)
        .json(&flow_body())
        .send()
        .await
        .ok()?;
    if reply.status() != 201 {
        return None;
    }
    let body: Value = reply.json().await.ok()?;
    Some(body["flow"]["id"].as_str()?.to_owned())
}
