//! The `[http]` limits, over raw TCP so that a test can be the slow or idle client: slowloris
//! headers and idle kept-alive connections are cut, oversized headers refused, a saturated
//! server still answers a fresh client, server routes answer 401 before reading the body, a
//! slow body is `408 request_timeout`, an answer sent before the body was read closes the
//! connection, and SIGTERM finishes with a slowloris connection open. Timeouts are 1 s (the
//! other clock set far out when a test is about one of them); the waits below are only
//! generous upper bounds, never measurements.
//!
//! These are about the HTTP layer, not storage, so they run on SQLite only.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use sluice_server::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Long enough for any 1 s timeout to have fired, on a busy machine.
const PATIENCE: Duration = Duration::from_secs(15);

fn limits() -> Config {
    let mut config = Config::default();
    config.rate_limit.enabled = false;
    config.http.header_read_timeout_secs = 1;
    config.http.idle_timeout_secs = 1;
    config.http.body_read_timeout_secs = 1;
    config
}

async fn spawn(config: Config) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, config)
        .await
        .expect("SQLite is always available")
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection (a reset counts as closed).
async fn until_closed(stream: &mut TcpStream) -> String {
    let mut all = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.expect("the server closes the connection");
    String::from_utf8_lossy(&all).into_owned()
}

/// One answer (headers and a `Content-Length` body), leaving the connection open.
async fn answer(stream: &mut TcpStream) -> String {
    let mut all = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&all).to_lowercase();
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |n| n.trim().parse().unwrap());
                if all.len() >= end + 4 + length {
                    break;
                }
            }
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before a whole answer: {text}");
            all.extend_from_slice(&buf[..n]);
        }
    });
    read.await.expect("an answer");
    String::from_utf8_lossy(&all).into_owned()
}

fn body_of(answer: &str) -> Value {
    serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap()
}

fn closes(answer: &str) -> bool {
    answer.to_lowercase().contains("\r\nconnection: close\r\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_headers_are_cut_off() {
    let mut config = limits();
    // Only the header clock can end this connection within the test's patience.
    config.http.idle_timeout_secs = 600;
    let app = spawn(config).await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // One more header line every 200 ms: bytes keep coming, the headers never end.
    let trickle = tokio::spawn(async move {
        while writer.write_all(b"X-Slow: yes\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut rest = Vec::new();
    let read = tokio::time::timeout(PATIENCE, reader.read_to_end(&mut rest)).await;
    assert!(
        read.is_ok(),
        "the connection is closed after the header timeout"
    );
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
    trickle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_refused() {
    let app = spawn(limits()).await;
    let mut stream = connect(&app).await;
    let big = "a".repeat(20 * 1024);
    let request = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n");
    let _ = stream.write_all(request.as_bytes()).await;
    let answer = until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_is_closed() {
    let mut config = limits();
    // Only the idle clock can end this connection within the test's patience.
    config.http.header_read_timeout_secs = 600;
    let app = spawn(config).await;
    let mut stream = connect(&app).await;
    for _ in 0..2 {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let first = answer(&mut stream).await;
        assert!(first.starts_with("HTTP/1.1 200"), "{first}");
        assert!(!closes(&first), "kept alive: {first}");
    }
    assert_eq!(
        until_closed(&mut stream).await,
        "",
        "closed, saying nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_full_of_idle_connections_still_answers() {
    let mut config = limits();
    config.http.max_connections = 8;
    let app = spawn(config).await;
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(connect(&app).await);
    }
    let healthz = app.http.get(format!("{}/healthz", app.base)).send();
    let reply = tokio::time::timeout(PATIENCE, healthz).await;
    let reply = reply
        .expect("answered once idle connections are cut")
        .unwrap();
    assert_eq!(reply.status(), 200);
    for mut stream in idle {
        assert_eq!(until_closed(&mut stream).await, "");
    }
}

/// S1's headers with a `Content-Length` of 1000 and only the first 10 bytes of the body.
fn s1_with_slow_body(app: &TestApp, token: Option<&str>) -> String {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    format!(
        "POST /api/v0/server/{}/flow/payment HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"amount\":",
        app.env_id
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_route_refuses_a_missing_token_before_the_body() {
    let mut config = limits();
    // Far beyond the test's patience: an answer can only come before the body is read.
    config.http.body_read_timeout_secs = 600;
    let app = spawn(config).await;
    let mut stream = connect(&app).await;
    let request = s1_with_slow_body(&app, Some("slc_not_a_real_token"));
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert_eq!(body_of(&answer)["code"], "unauthorized");
    assert!(
        closes(&answer),
        "the unread body ends the connection: {answer}"
    );
    assert_eq!(until_closed(&mut stream).await, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_is_408_request_timeout() {
    let app = spawn(limits()).await;
    let mut stream = connect(&app).await;
    let request = s1_with_slow_body(&app, Some(&app.api_token));
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = answer(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let body = body_of(&answer);
    assert_eq!(body["code"], "request_timeout");
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(closes(&answer), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_read_to_its_end_keeps_the_connection() {
    let app = spawn(limits()).await;
    let mut stream = connect(&app).await;
    let body = flow_body().to_string();
    let request = format!(
        "POST /api/v0/server/{}/flow/payment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n{body}",
        app.env_id,
        app.api_token,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let created = answer(&mut stream).await;
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    assert!(!closes(&created), "{created}");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(answer(&mut stream).await.starts_with("HTTP/1.1 200"));
}

/// P4 over a fresh connection with the whole body sent; returns the answer.
async fn raw_attach(app: &TestApp, flow: &str, origin: &str) -> (String, TcpStream) {
    let mut stream = connect(app).await;
    let body = wallet_source().to_string();
    let request = format!(
        "POST /api/v0/sdk/{}/flow/{flow}/source HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        app.env_id,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    (answer(&mut stream).await, stream)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_payer_post_closes_its_connection() {
    let app = spawn(limits()).await;
    let flow = app.create_flow().await;
    let (refused, mut stream) = raw_attach(&app, &flow, "https://evil.example").await;
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert_eq!(body_of(&refused)["code"], "origin_not_allowed");
    assert!(closes(&refused), "{refused}");
    assert_eq!(until_closed(&mut stream).await, "");
    // The client's next request, on a new connection, is served.
    let attached = app.attach(&flow, &wallet_source()).await;
    assert_eq!(attached.status, 200, "{}", attached.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_payer_post_closes_its_connection() {
    let mut config = limits();
    config.rate_limit.enabled = true;
    config.rate_limit.per_flow_burst = 1;
    config.rate_limit.per_flow_per_minute = 1;
    let app = spawn(config).await;
    let flow = app.create_flow().await;
    let (first, _) = raw_attach(&app, &flow, ALLOWED_ORIGIN).await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(!closes(&first), "the body was read: {first}");
    let (limited, mut stream) = raw_attach(&app, &flow, ALLOWED_ORIGIN).await;
    assert!(limited.starts_with("HTTP/1.1 429"), "{limited}");
    assert_eq!(body_of(&limited)["code"], "rate_limited");
    assert!(closes(&limited), "{limited}");
    assert_eq!(until_closed(&mut stream).await, "");
    let read = app.payer(reqwest::Method::GET, &flow, "", None, None).await;
    assert_eq!(read.status, 200, "{}", read.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_with_a_slowloris_connection_open() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let config = std::env::temp_dir().join(format!("sluice-http-{}.toml", uuid::Uuid::new_v4()));
    // Headers may take a minute, so only the grace period can end this connection in time.
    let text =
        "[http]\nheader_read_timeout_secs = 60\nidle_timeout_secs = 60\nshutdown_grace_secs = 1\n";
    std::fs::write(&config, text).unwrap();
    let server = common::binary::LoggedServer::start(&db.url, &config, &[]).await;
    let mut slow = TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Let the server read those bytes before the signal.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logs = server.stop().await; // asserts a clean exit within 10 s
    let _ = std::fs::remove_file(&config);
    assert!(
        logs.contains("shutdown grace period over"),
        "the open connection was dropped after the grace period: {logs}"
    );
}
