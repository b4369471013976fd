//! What `sluice` writes to its log: a format or filter it does not understand stops the start
//! and names the value (rather than logging in a way nobody asked for); JSON mode prints
//! nothing but JSON, start-up lines included; a request answered with an error logs the
//! error's stable code.

mod common;

use common::binary::{LoggedServer, log_message};
use common::*;

#[tokio::test]
async fn an_unknown_log_format_or_filter_stops_the_start_naming_it() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    for (var, value, named) in [
        ("SLUICE_LOG_FORMAT", "jsn", "SLUICE_LOG_FORMAT=\"jsn\""),
        ("SLUICE_LOG", "info,=x=y", "SLUICE_LOG=\"info,=x=y\""),
    ] {
        let out = tokio::process::Command::new(common::binary::BIN)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("SLUICE_DATABASE_URL", &db.url)
            .env(var, value)
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value} was accepted");
        assert!(stderr.contains(named), "{stderr}");
        assert!(
            out.stdout.is_empty(),
            "nothing was created: {:?}",
            out.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_mode_prints_only_json_and_error_lines_carry_the_code() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let config = std::env::temp_dir().join(format!("sluice-logging-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&config, "").unwrap();
    let server = LoggedServer::start(&db.url, &config, &[]).await;
    sluice_chain::ensure_tls();
    let http = reqwest::Client::new();
    let answer = http
        .get(format!(
            "{}/api/v0/server/{}/flows",
            server.base, server.env
        ))
        .header("authorization", "Bearer not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let ok = http
        .get(format!(
            "{}/api/v0/server/{}/flows",
            server.base, server.env
        ))
        .header("authorization", format!("Bearer {}", server.token))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let logs = server.stop().await; // asserts every line is JSON
    let _ = std::fs::remove_file(&config);
    let requests: Vec<serde_json::Value> = logs
        .lines()
        .filter(|l| log_message(l) == "request")
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let status_and_code = |r: &serde_json::Value| {
        (
            r["fields"]["http.status"].as_u64(),
            r["fields"]["error.code"].as_str().map(str::to_owned),
        )
    };
    let seen: Vec<_> = requests.iter().map(status_and_code).collect();
    assert!(
        seen.contains(&(Some(401), Some("unauthorized".into()))),
        "{seen:?}"
    );
    assert!(seen.contains(&(Some(200), None)), "{seen:?}");
    assert!(
        logs.lines()
            .any(|l| log_message(l).starts_with("sluice listening on")),
        "the start-up line is a JSON line too"
    );
}
