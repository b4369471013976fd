//! What docs/DEPLOYMENT.md ships: the systemd unit passes `systemd-analyze verify` (with the
//! binary path pointed at the binary under test, since the unit names /usr/local/bin), and
//! `--metrics-listen` moves `/metrics` off the public listener onto a private one.

mod common;

use common::binary::{BIN, LoggedServer};
use common::*;

fn repo_file(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

#[test]
fn the_shipped_systemd_unit_verifies() {
    let Ok(probe) = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    else {
        eprintln!("*** systemd-analyze not found: the systemd unit was NOT verified ***");
        return;
    };
    assert!(probe.status.success());
    let unit = std::fs::read_to_string(repo_file("deploy/sluice.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/local/bin/sluice serve"),
        "{unit}"
    );
    let dir = std::env::temp_dir().join(format!("sluice-unit-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sluice.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/sluice", BIN)).unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // systemd-analyze exits 0 on a directive it ignores; any message is a finding.
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {stderr}"
    );
}

#[test]
fn the_shipped_environment_file_names_only_real_settings() {
    let text = std::fs::read_to_string(repo_file("deploy/sluice.env")).unwrap();
    let readme = std::fs::read_to_string(repo_file("README.md")).unwrap();
    for line in text.lines() {
        let setting = line.trim_start_matches("# ").trim();
        let Some((key, _)) = setting.split_once('=') else {
            continue;
        };
        if key.starts_with("SLUICE_") && !key.contains(' ') {
            assert!(
                readme.contains(&format!("`{key}`")),
                "deploy/sluice.env sets {key}, which README.md's configuration table does not name"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_serves_metrics_only_on_the_private_listener() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let config = std::env::temp_dir().join(format!("sluice-metrics-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(&config, "").unwrap();
    let server =
        LoggedServer::start_with(&db.url, &config, &[], &["--metrics-listen", "127.0.0.1:0"]).await;
    let metrics_url = server
        .start_messages()
        .iter()
        .find_map(|m| {
            m.strip_prefix("metrics on ")
                .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
        })
        .expect("the start names the metrics address");
    sluice_chain::ensure_tls();
    let http = reqwest::Client::new();
    // A request first, so that the HTTP metrics have values.
    let health = http
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let public = http
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404, "not on the main listener");
    let private = http.get(&metrics_url).send().await.unwrap();
    assert_eq!(private.status(), 200);
    let text = private.text().await.unwrap();
    assert!(
        text.contains("# HELP sluice_http_requests_total HTTP requests answered"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE sluice_http_requests_total counter"),
        "{text}"
    );
    let other = http
        .get(metrics_url.replace("/metrics", "/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        404,
        "the metrics listener serves nothing else"
    );
    server.stop().await;
    let _ = std::fs::remove_file(&config);
}

/// What a first run in the checkout creates, secrets among them, never shows up in `git
/// status`.
#[test]
fn a_first_runs_files_are_ignored_by_git() {
    let root = repo_file("");
    let inside = std::process::Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .current_dir(&root)
        .output();
    if !inside.is_ok_and(|o| o.status.success()) {
        eprintln!("*** not a git checkout: .gitignore was NOT checked ***");
        return;
    }
    for name in [
        "sluice.db",
        "sluice.db-wal",
        "sluice.db.lock",
        "sluice.db.webhook-key",
        "env.json",
        "sluice.toml",
    ] {
        let ignored = std::process::Command::new("git")
            .args(["check-ignore", "-q", "--no-index", name])
            .current_dir(&root)
            .status()
            .unwrap();
        assert!(ignored.success(), "{name} is not ignored by git");
    }
}
