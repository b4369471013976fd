//! The `sluice` binary as operators run it: the command line on a brand-new database, and
//! two `sluice serve` processes sharing one PostgreSQL database.

mod common;

use common::binary::{
    BIN, LoggedServer, TEST_WEBHOOK_KEY, sluice, start_server, start_server_with,
};
use common::*;
use serde_json::{Value, json};
use tokio::process::Command;

both_backends!(
    cli_sets_up_a_brand_new_database,
    serve_creates_the_default_environment_once
);

async fn cli_sets_up_a_brand_new_database(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let (ok, out, err) = sluice(
        &db.url,
        &[
            "env",
            "create",
            "--name",
            "shop",
            "--origin",
            "https://shop.example.com",
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 1, "exactly one line of JSON on stdout");
    let created: Value = serde_json::from_str(&out).unwrap();
    let env = created["environmentId"].as_str().unwrap().to_owned();
    let token = created["apiToken"].as_str().unwrap().to_owned();
    assert!(token.starts_with("slc_") && token.len() == 47);

    let (ok, out, _) = sluice(
        &db.url,
        &["token", "create", "--env", &env, "--scope", "flow.read"],
    )
    .await;
    assert!(ok);
    let minted: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(minted["scopes"], json!(["flow.read"]));
    let prefix = minted["prefix"].as_str().unwrap();
    assert_eq!(&minted["apiToken"].as_str().unwrap()[4..12], prefix);

    for args in [
        vec![
            "env",
            "add-origin",
            "--env",
            &env,
            "--origin",
            "http://localhost:*",
        ],
        vec!["env", "deny-address", "--env", &env, "--address", VITALIK],
        vec![
            "env",
            "set-chains",
            "--env",
            &env,
            "--chain",
            "EVM",
            "--chain",
            "SOL",
        ],
        vec!["token", "revoke", "--token-prefix", prefix],
        vec!["migrate"],
        vec![
            "env",
            "set-display",
            "--env",
            &env,
            "--name",
            "  Acme Coffee ",
        ],
    ] {
        let (ok, _, err) = sluice(&db.url, &args).await;
        assert!(ok, "{args:?}: {err}");
    }
    let long_name = "A".repeat(101);
    for bad in [
        vec![
            "env",
            "add-origin",
            "--env",
            &env,
            "--origin",
            "shop.example.com/path",
        ],
        vec!["env", "set-chains", "--env", &env, "--chain", "DOGE"],
        vec!["token", "create", "--env", &env, "--scope", "admin"],
        vec!["token", "revoke", "--token-prefix", "nothing1"],
        vec!["env", "set-display", "--env", &env, "--name", "   "],
        vec![
            "env",
            "set-display",
            "--env",
            &env,
            "--name",
            "Acme\nPay elsewhere",
        ],
        vec!["env", "set-display", "--env", &env, "--name", &long_name],
    ] {
        let (ok, out, err) = sluice(&db.url, &bad).await;
        assert!(
            !ok && out.is_empty() && err.starts_with("error: "),
            "{bad:?}: {err}"
        );
    }
    let (_, _, err) = sluice(
        &db.url,
        &["env", "set-display", "--env", &env, "--name", " "],
    )
    .await;
    assert!(
        err.contains("--name: the display name must not be empty"),
        "{err}"
    );
    let (ok, out, err) = sluice(&db.url, &["env", "show", "--env", &env]).await;
    assert!(ok, "{err}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["displayName"], "Acme Coffee", "trimmed, and shown");
    let (ok, _, err) = sluice("mysql://nope", &["migrate"]).await;
    assert!(!ok && err.contains("unsupported database URL"), "{err}");

    let store = sluice_server::store::connect(&db.url).await.unwrap();
    // Prefixes are base64url: one in 64 starts with '-', which the command line must accept.
    let hyphen_token = sluice_domain::token::mint_api_token();
    let hyphenated = sluice_store::ApiTokenRecord {
        environment_id: env.parse().unwrap(),
        prefix: "-hyphen1".into(),
        hash: hyphen_token.hash,
        scopes: vec!["flow.read".into()],
        created_at: START,
        revoked_at: None,
    };
    store.create_api_token(&hyphenated).await.unwrap();
    let (ok, _, err) = sluice(&db.url, &["token", "revoke", "--token-prefix", "-hyphen1"]).await;
    assert!(ok, "{err}");
    assert!(
        store
            .api_token(&hyphen_token.hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
    let record = store
        .environment(env.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.allowed_origins,
        ["https://shop.example.com", "http://localhost:*"]
    );
    assert_eq!(record.enabled_chains.unwrap().len(), 2);
    assert_eq!(record.display_name.as_deref(), Some("Acme Coffee"));
    let keys = vec![VITALIK.to_lowercase()];
    assert!(store.any_denied(record.id, &keys).await.unwrap());
    let hash = sluice_domain::TokenHash::of(minted["apiToken"].as_str().unwrap());
    assert!(
        store
            .api_token(&hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_some()
    );
    let hash = sluice_domain::TokenHash::of(&token);
    assert!(
        store.api_token(&hash).await.unwrap().is_some(),
        "only the hash is stored, and it is found"
    );
}

async fn serve_creates_the_default_environment_once(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let first = start_server(&db.url).await;
    let created: Value =
        serde_json::from_str(&first.stdout).expect("first start prints the default environment");
    let env = created["environmentId"].as_str().unwrap();
    let token = created["apiToken"].as_str().unwrap();
    let http = {
        sluice_chain::ensure_tls();
        reqwest::Client::new()
    };
    let reply = http
        .post(format!("{}/api/v0/server/{env}/flow/payment", first.base))
        .bearer_auth(token)
        .body(flow_body().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 201);
    // Stopped first: a second server on the same SQLite file is refused while one runs.
    let mut first = first;
    first.child.start_kill().unwrap();
    first.child.wait().await.unwrap();
    let second = start_server(&db.url).await;
    assert!(
        second.stdout.is_empty(),
        "a database with an environment gets no new one: {}",
        second.stdout
    );
    drop(second);
}

/// Two `sluice serve` processes on one PostgreSQL database race 50 attaches on one flow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_leave_one_live_token() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let a = start_server(&db.url).await;
    let b = start_server(&db.url).await;
    let created: Value = serde_json::from_str(&a.stdout).unwrap();
    let env = created["environmentId"].as_str().unwrap();
    let http = {
        sluice_chain::ensure_tls();
        reqwest::Client::new()
    };
    let flow: Value = http
        .post(format!("{}/api/v0/server/{env}/flow/payment", a.base))
        .bearer_auth(created["apiToken"].as_str().unwrap())
        .body(flow_body().to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = flow["flow"]["id"].as_str().unwrap();
    let attaches = (0..50).map(|i| {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        http.post(format!("{base}/api/v0/sdk/{env}/flow/{id}/source"))
            .body(wallet_source().to_string())
            .send()
    });
    let mut tokens = Vec::new();
    for reply in futures::future::join_all(attaches).await {
        let body: Value = reply.unwrap().json().await.unwrap();
        tokens.push(
            body["sessionToken"]
                .as_str()
                .expect("every attach succeeds")
                .to_owned(),
        );
    }
    let store = sluice_server::store::connect(&db.url).await.unwrap();
    let stored = store
        .flow(env.parse().unwrap(), id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let hash = stored.session_token_hash.unwrap();
    let live: Vec<&String> = tokens
        .iter()
        .filter(|t| sluice_domain::TokenHash::of(t) == hash)
        .collect();
    assert_eq!(live.len(), 1);
    for (i, token) in tokens.iter().enumerate().filter(|(_, t)| *t != live[0]) {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let reply = http
            .post(format!("{base}/api/v0/sdk/{env}/flow/{id}/cancel"))
            .header("x-dynamic-flow-session-token", token)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 401);
    }
    let reply = http
        .post(format!("{}/api/v0/sdk/{env}/flow/{id}/cancel", b.base))
        .header("x-dynamic-flow-session-token", live[0])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    drop((a.child, b.child));
}

#[tokio::test]
async fn an_invalid_config_file_stops_start_up_naming_the_setting() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let path = std::env::temp_dir().join(format!("sluice-bad-{}.toml", uuid::Uuid::new_v4()));
    let text = "[[chains]]\nchain_name = \"EVM\"\nchain_id = \"1\"\nrpc_url = \"http://x\"\nconfirmations = 0\n";
    std::fs::write(&path, text).unwrap();
    let err = refused_start(&db.url, &["--config", path.to_str().unwrap()], &[]).await;
    let _ = std::fs::remove_file(&path);
    assert!(err.contains("chains[0].confirmations"), "{err}");
    let err = refused_start(
        &db.url,
        &[],
        &[("SLUICE_WEBHOOK_RETRY_SCHEDULE", "15s,soon")],
    )
    .await;
    assert!(err.contains("SLUICE_WEBHOOK_RETRY_SCHEDULE"), "{err}");
    // Any file setting can be overridden from the environment, and is validated the same way.
    let err = refused_start(&db.url, &[], &[("SLUICE_QUOTES__TTL_SECS", "0")]).await;
    assert!(err.contains("quotes.ttl_secs"), "{err}");
}

/// Runs `sluice serve` expecting it to refuse to start; returns what it said on stderr.
async fn refused_start(db: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("SLUICE_DATABASE_URL", db)
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success(), "sluice serve started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A config file that lets webhooks reach this machine's loopback receiver and retries fast.
fn webhook_config() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("sluice-webhooks-{}.toml", uuid::Uuid::new_v4()));
    let text = "[webhooks]\nallow_private_urls = true\nworker_interval_secs = 1\nrequest_timeout_secs = 2\nretry_schedule = [\"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\", \"1s\"]\n";
    std::fs::write(&path, text).unwrap();
    path
}

/// Polls until `receiver` has at least `n` requests, for up to 20 s of real time (the
/// delivery workers run in other processes, so they cannot be stepped from here).
async fn wait_for(receiver: &Receiver, n: usize) {
    for _ in 0..200 {
        if receiver.count() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the receiver got {} of {n} webhooks", receiver.count());
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut request = http.post(url).body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

both_backends!(a_crash_between_commit_and_delivery_loses_no_webhook);

async fn a_crash_between_commit_and_delivery_loses_no_webhook(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let config = webhook_config();
    let config_arg = config.to_str().unwrap().to_owned();
    // The receiver's port is reserved but nothing listens yet: every attempt is refused.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut first = start_server_with(&db.url, &["--config", &config_arg]).await;
    let created: Value = serde_json::from_str(&first.stdout).unwrap();
    let (env, token) = (
        created["environmentId"].as_str().unwrap().to_owned(),
        created["apiToken"].as_str().unwrap().to_owned(),
    );
    let http = {
        sluice_chain::ensure_tls();
        reqwest::Client::new()
    };
    let endpoint = post(
        &http,
        format!("{}/api/v0/server/{env}/webhooks", first.base),
        Some(&token),
        json!({"url": format!("http://{addr}/hook")}),
    )
    .await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    let flow = post(
        &http,
        format!("{}/api/v0/server/{env}/flow/payment", first.base),
        Some(&token),
        flow_body(),
    )
    .await;
    let id = flow["flow"]["id"].as_str().unwrap();
    let attached = post(
        &http,
        format!("{}/api/v0/sdk/{env}/flow/{id}/source", first.base),
        None,
        wallet_source(),
    )
    .await;
    assert!(attached["sessionToken"].is_string());
    // The transitions are committed; kill the server before anything could be delivered.
    first.child.start_kill().unwrap();
    first.child.wait().await.unwrap();

    let receiver = Receiver::start_on(tokio::net::TcpListener::bind(addr).await.unwrap()).await;
    let _second = start_server_with(&db.url, &["--config", &config_arg]).await;
    wait_for(&receiver, 3).await;
    let _ = std::fs::remove_file(&config);
    let received = receiver.received.lock().unwrap().clone();
    let mut types: Vec<String> = received
        .iter()
        .map(|(_, b)| {
            serde_json::from_str::<Value>(b).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    types.sort();
    assert_eq!(
        types,
        ["flow.execution.updated", "flow.risk.updated", "ping"]
    );
    for (headers, body) in &received {
        // The full Standard Webhooks verification, timestamp tolerance included: this server
        // runs on the real clock.
        standardwebhooks::Webhook::new(&secret)
            .unwrap()
            .verify(body.as_bytes(), headers)
            .expect("a valid signature");
    }
}

/// Two `sluice serve` processes on one PostgreSQL database: every event delivered, none twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_deliver_each_webhook_once() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let config = webhook_config();
    let config_arg = config.to_str().unwrap().to_owned();
    let receiver = Receiver::start().await;
    let a = start_server_with(&db.url, &["--config", &config_arg]).await;
    let b = start_server_with(&db.url, &["--config", &config_arg]).await;
    let created: Value = serde_json::from_str(&a.stdout).unwrap();
    let (env, token) = (
        created["environmentId"].as_str().unwrap().to_owned(),
        created["apiToken"].as_str().unwrap().to_owned(),
    );
    let http = {
        sluice_chain::ensure_tls();
        reqwest::Client::new()
    };
    post(
        &http,
        format!("{}/api/v0/server/{env}/webhooks", a.base),
        Some(&token),
        json!({"url": receiver.url}),
    )
    .await;
    for i in 0..10 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let flow = post(
            &http,
            format!("{base}/api/v0/server/{env}/flow/payment"),
            Some(&token),
            flow_body(),
        )
        .await;
        let id = flow["flow"]["id"].as_str().unwrap();
        post(
            &http,
            format!("{base}/api/v0/sdk/{env}/flow/{id}/source"),
            None,
            wallet_source(),
        )
        .await;
    }
    let expected = 1 + 10 * 2;
    wait_for(&receiver, expected).await;
    // Give a would-be duplicate time to arrive before counting.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let _ = std::fs::remove_file(&config);
    let ids: std::collections::HashSet<String> = receiver
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), expected);
    assert_eq!(receiver.count(), expected, "no webhook was delivered twice");
}

/// Everything a server logs, even at debug level, for a run that handles every kind of secret:
/// none of them appears. And SIGTERM finishes in-flight work and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_logs_and_sigterm_exits_cleanly() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let config = webhook_config();
    let server = LoggedServer::start(
        &db.url,
        &config,
        &[("SLUICE_WEBHOOK_KEY", TEST_WEBHOOK_KEY)],
    )
    .await;
    let (base, env, token) = (
        server.base.clone(),
        server.env.clone(),
        server.token.clone(),
    );
    let receiver = Receiver::start().await;
    let http = {
        sluice_chain::ensure_tls();
        reqwest::Client::new()
    };
    let endpoint = post(
        &http,
        format!("{base}/api/v0/server/{env}/webhooks"),
        Some(&token),
        json!({"url": receiver.url}),
    )
    .await;
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    let flow = post(
        &http,
        format!("{base}/api/v0/server/{env}/flow/payment"),
        Some(&token),
        flow_body(),
    )
    .await;
    let id = flow["flow"]["id"].as_str().unwrap();
    let attached = post(
        &http,
        format!("{base}/api/v0/sdk/{env}/flow/{id}/source"),
        None,
        wallet_source(),
    )
    .await;
    let session = attached["sessionToken"].as_str().unwrap().to_owned();
    let reply = http
        .post(format!("{base}/api/v0/sdk/{env}/flow/{id}/cancel"))
        .header("x-dynamic-flow-session-token", &session)
        .header("x-request-id", "req-from-the-test")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["x-request-id"], "req-from-the-test");
    wait_for(&receiver, 4).await;

    let all = server.stop().await;
    let _ = std::fs::remove_file(&config);
    assert!(
        all.contains("req-from-the-test"),
        "log lines carry the request ID"
    );
    assert!(all.contains("shutting down"), "{all}");
    for secret in [
        token.as_str(),
        &token[4..],
        session.as_str(),
        &session[4..],
        secret.as_str(),
        &secret[6..],
        TEST_WEBHOOK_KEY,
    ] {
        assert!(!all.contains(secret), "a secret reached the logs");
    }
}
