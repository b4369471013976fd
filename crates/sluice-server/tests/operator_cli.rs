//! The operator's command line: `env list` and `token list` show what exists (never a
//! secret), a token's last use reaches `token list`, and a database that cannot be reached
//! is reported within seconds, naming the URL (password redacted) and the host.

mod common;

use std::time::{Duration, Instant};

use common::binary::sluice;
use common::*;
use serde_json::Value;

both_backends!(environments_and_tokens_are_listed_without_secrets);

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

async fn environments_and_tokens_are_listed_without_secrets(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let url = app.db.url.clone();
    let env = app.env_id.to_string();
    let (ok, created, err) = sluice(&url, &["env", "create", "--name", "second"]).await;
    assert!(ok, "{err}");
    let second: Value = serde_json::from_str(&created).unwrap();
    let second_token = second["apiToken"].as_str().unwrap().to_owned();

    let (ok, out, err) = sluice(&url, &["env", "list"]).await;
    assert!(ok, "{err}");
    let listed = json_lines(&out);
    let ids: Vec<&str> = listed
        .iter()
        .map(|e| e["environmentId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&env.as_str()), "{out}");
    assert!(
        ids.contains(&second["environmentId"].as_str().unwrap()),
        "{out}"
    );
    assert!(
        err.contains(&format!("{} environment(s)", listed.len())),
        "{err}"
    );

    // A server call with the app's token; its use is written in the background.
    app.create_flow().await;
    let (ok, _, err) = sluice(
        &url,
        &["token", "revoke", "--token-prefix", &second_token[4..12]],
    )
    .await;
    assert!(ok, "{err}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let tokens = loop {
        let (ok, out, err) = sluice(&url, &["token", "list", "--env", &env]).await;
        assert!(ok, "{err}");
        let tokens = json_lines(&out);
        if tokens.iter().any(|t| !t["lastUsedAt"].is_null()) || Instant::now() > deadline {
            break tokens;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(tokens[0]["prefix"], &app.api_token[4..12]);
    assert!(
        !tokens[0]["lastUsedAt"].is_null(),
        "the use was recorded: {tokens:?}"
    );
    assert!(tokens[0]["revokedAt"].is_null());
    assert_eq!(tokens[0]["scopes"].as_array().unwrap().len(), 3);

    let (ok, out, err) = sluice(
        &url,
        &[
            "token",
            "list",
            "--env",
            second["environmentId"].as_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "{err}");
    let revoked = json_lines(&out);
    assert!(!revoked[0]["revokedAt"].is_null(), "{out}");
    assert!(revoked[0]["lastUsedAt"].is_null(), "never used: {out}");
    for shown in [&out, &err] {
        assert!(!shown.contains(&second_token[4..]), "a secret was printed");
        assert!(!shown.contains(&app.api_token[4..]), "a secret was printed");
    }
}

/// A PostgreSQL that refuses connections, and one that accepts but never answers (a
/// listener on loopback that reads nothing): each is reported within seconds, naming the
/// host and port, and the password never.
#[tokio::test]
async fn an_unreachable_postgres_is_reported_within_seconds_with_its_host() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused_port = closed.local_addr().unwrap().port();
    drop(closed);
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    for (port, why) in [
        (refused_port, "refused"),
        (silent_port, "no answer within 5 s"),
    ] {
        let url = format!("postgres://sluice:hunter2@127.0.0.1:{port}/sluice");
        let started = Instant::now();
        let (ok, _, err) = sluice(&url, &["env", "list"]).await;
        let took = started.elapsed();
        assert!(!ok);
        assert!(took < Duration::from_secs(8), "took {took:?}: {err}");
        assert!(
            err.contains(&format!("PostgreSQL at 127.0.0.1:{port}")),
            "{err}"
        );
        assert!(err.contains(why), "{err}");
        assert!(
            err.contains(&format!("postgres://sluice:***@127.0.0.1:{port}/sluice")),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
    drop(silent);
}

/// The file, address or URL that failed is named.
#[tokio::test]
async fn start_errors_name_what_failed() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let missing =
        std::env::temp_dir().join(format!("sluice-missing-{}.toml", uuid::Uuid::new_v4()));
    let (ok, _, err) = sluice(
        &db.url,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--config",
            missing.to_str().unwrap(),
        ],
    )
    .await;
    assert!(!ok);
    assert!(err.contains(missing.to_str().unwrap()), "{err}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (ok, _, err) = sluice(&db.url, &["serve", "--listen", &addr]).await;
    assert!(!ok);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    let (ok, _, err) = sluice(
        &db.url,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            &addr,
        ],
    )
    .await;
    assert!(!ok);
    assert!(
        err.contains(&format!("cannot listen on {addr} (--metrics-listen)")),
        "{err}"
    );
    drop(taken);

    let nowhere = "sqlite:///nonexistent-sluice-dir/sluice.db";
    let (ok, _, err) = sluice(nowhere, &["env", "list"]).await;
    assert!(!ok);
    assert!(err.contains(nowhere), "{err}");
}
