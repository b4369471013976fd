//! Careless operation is refused, not half-done: the real `sluice serve` binary on a second
//! server for one SQLite file, on failed first starts (nothing is created, so the next good
//! start still prints the only API token), on the files it creates (owner-only) and on a
//! listen address no payer can open.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

use common::binary::BIN;
use common::*;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const TEST_WEBHOOK_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";

/// A running `sluice serve`: its process, base URL, the stdout line of a first start, and
/// what it wrote to stderr before listening.
struct Serving {
    child: Child,
    base: String,
    created: Option<Value>,
    stderr: String,
}

fn command(db: &str, args: &[&str], webhook_key: bool) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("serve")
        .args(args)
        .env("SLUICE_DATABASE_URL", db)
        .env("SLUICE_LOG", "warn")
        .env_remove("SLUICE_WEBHOOK_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if webhook_key {
        command.env("SLUICE_WEBHOOK_KEY", TEST_WEBHOOK_KEY);
    }
    command
}

async fn serve(db: &str, args: &[&str]) -> Serving {
    let mut child = command(db, args, true).spawn().expect("spawn sluice serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut stderr = String::new();
    let base = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("serve exited early");
        stderr.push_str(&line);
        stderr.push('\n');
        if let Some(rest) = line.strip_prefix("sluice listening on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let wait = std::time::Duration::from_millis(300);
    let created = match tokio::time::timeout(wait, out.next_line()).await {
        Ok(Ok(Some(line))) => Some(serde_json::from_str(&line).unwrap()),
        _ => None,
    };
    Serving {
        child,
        base,
        created,
        stderr,
    }
}

/// Runs a start expected to fail; returns (stdout, stderr).
async fn refused(db: &str, args: &[&str], webhook_key: bool) -> (String, String) {
    let out = command(db, args, webhook_key).output().await.unwrap();
    assert!(!out.status.success(), "sluice serve started: {args:?}");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const LOCAL: &[&str] = &["--listen", "127.0.0.1:0"];

#[tokio::test]
async fn a_second_server_on_one_sqlite_file_is_refused() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let mut first = serve(&db.url, LOCAL).await;
    assert!(first.created.is_some());
    let (out, err) = refused(&db.url, LOCAL, true).await;
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("another `sluice serve` is running on"),
        "{err}"
    );
    // Killed without a chance to clean up: the operating system releases the lock.
    first.child.start_kill().unwrap();
    first.child.wait().await.unwrap();
    let again = serve(&db.url, LOCAL).await;
    assert!(again.created.is_none(), "the environment already exists");
}

async fn a_failed_first_start_creates_nothing(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let missing = std::env::temp_dir().join(format!("no-such-{}.toml", uuid::Uuid::new_v4()));
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--config",
        missing.to_str().unwrap(),
    ];
    let (out, err) = refused(&db.url, &args, true).await;
    assert!(out.is_empty() && err.contains("no-such-"), "{out} {err}");
    // A port already in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let (out, err) = refused(&db.url, &["--listen", &listen], true).await;
    assert!(
        out.is_empty() && err.contains("cannot listen on"),
        "{out} {err}"
    );
    if backend == Backend::Postgres {
        let (out, err) = refused(&db.url, LOCAL, false).await;
        assert!(
            out.is_empty() && err.contains("SLUICE_WEBHOOK_KEY"),
            "{out} {err}"
        );
    }
    let good = serve(&db.url, LOCAL).await;
    let created = good.created.expect("the first good start prints the token");
    assert!(created["apiToken"].as_str().unwrap().starts_with("slc_"));
}

async fn s5(base: &str, created: &Value, body: Value) -> (u16, Value) {
    sluice_chain::ensure_tls();
    let env = created["environmentId"].as_str().unwrap();
    let reply = reqwest::Client::new()
        .post(format!("{base}/api/v0/server/{env}/payment-links"))
        .bearer_auth(created["apiToken"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    (reply.status().as_u16(), reply.json().await.unwrap())
}

#[tokio::test]
async fn no_payment_link_points_at_the_unspecified_address() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--public-url",
        "http://0.0.0.0:8080",
    ];
    let (_, err) = refused(&db.url, &args, true).await;
    assert!(err.contains("not addresses a payer can open"), "{err}");
    let all = serve(&db.url, &["--listen", "0.0.0.0:0"]).await;
    assert!(
        all.stderr.contains("without --public-url"),
        "{}",
        all.stderr
    );
    // Reached over loopback; the server listens on every interface.
    let base = all.base.replace("0.0.0.0", "127.0.0.1");
    let created = all.created.clone().unwrap();
    let (status, body) = s5(&base, &created, flow_body()).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("no public URL"), "{body}");
    let mut with_base = flow_body();
    with_base["baseUrl"] = json!("http://localhost:5173/checkout");
    let (status, body) = s5(&base, &created, with_base).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn sqlite_files_are_readable_by_their_owner_only() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let server = serve(&db.url, LOCAL).await;
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let file = format!("{path}{suffix}");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file} is {mode:o}");
    }
    drop(server);
}

both_backends!(a_failed_first_start_creates_nothing);
