//! The test harness: boots the real router on `127.0.0.1:0` over a fresh database (a temp
//! SQLite file, or a uniquely named PostgreSQL database dropped afterwards) with a manual
//! clock, and talks to it over real HTTP.
//!
//! PostgreSQL: `SLUICE_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! names a server where tests may create databases. When it is unreachable the PostgreSQL
//! variants say so loudly and pass, unless `SLUICE_REQUIRE_POSTGRES=1` (CI) makes them fail.
#![allow(dead_code)]

pub mod binary;
pub mod bitcoin_world;
pub mod browser;
pub mod coinbase_double;
pub mod deposit;
pub mod deposit_world;
pub mod evm;
/// The real Bitcoin node harness, shared with sluice-chain's tests.
#[path = "../../../sluice-chain/tests/common/litecoin.rs"]
pub mod litecoin;
pub mod rpc_proxy;
pub mod tron_node;
/// TRON's SDK as the oracle, shared with sluice-chain's tests.
#[path = "../../../sluice-chain/tests/common/tron_sdk.rs"]
pub mod tron_sdk;
pub mod tron_wire;
pub mod tron_world;
pub mod wallet;

use std::io::Write;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sluice_domain::{EnvironmentId, ManualClock, Timestamp};
use sluice_server::{AppState, cli};
use sluice_store::Store;
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once per backend, as `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    )*};
}

pub const START: Timestamp = Timestamp(1_795_428_000_000); // 2026-11-23T10:00:00.000Z
pub const ALLOWED_ORIGIN: &str = "http://localhost:5173";
pub const VITALIK: &str = "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045";
pub const USDC_BASE: &str = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";

pub fn admin_url() -> String {
    std::env::var("SLUICE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn postgres_required() -> bool {
    std::env::var("SLUICE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres(String),
}

impl TestDb {
    pub async fn create(backend: Backend) -> Option<Self> {
        let name = format!("sluice_test_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                Some(Self {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::File(path),
                })
            }
            Backend::Postgres => {
                let admin = admin_url();
                let mut conn = match sqlx::PgConnection::connect(&admin).await {
                    Ok(conn) => conn,
                    Err(e) if !postgres_required() => {
                        // Written straight to the terminal so that it shows even when output is captured.
                        let _ = writeln!(
                            std::io::stderr(),
                            "\n*** PostgreSQL tests did NOT run: cannot reach {admin}: {e}. Set SLUICE_TEST_DATABASE_URL, or SLUICE_REQUIRE_POSTGRES=1 to make this an error. ***\n"
                        );
                        return None;
                    }
                    Err(e) => panic!(
                        "PostgreSQL is required (SLUICE_REQUIRE_POSTGRES) but {admin} is unreachable: {e}"
                    ),
                };
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(b, _)| b)
                    .to_owned();
                Some(Self {
                    url: format!("{base}/{name}"),
                    cleanup: Cleanup::Postgres(name),
                })
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm", ".webhook-key", ".lock"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres(name) => {
                let name = name.clone();
                // Drop runs inside the test's runtime; a fresh thread with its own runtime may block.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await {
                            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                                .execute(&mut conn)
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: ManualClock,
    pub store: Arc<dyn Store>,
    pub state: AppState,
    pub env_id: EnvironmentId,
    pub api_token: String,
    /// The names webhook hosts resolve to: nothing resolves unless a test pins it, so tests
    /// never send a DNS query.
    pub hosts: Arc<sluice_server::host_lookup::FixedHosts>,
    shutdown: CancellationToken,
    pub db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the error envelope, status and code; returns the body for more checks.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert!(
            self.body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "error must be a non-empty string: {}",
            self.body
        );
        &self.body
    }
}

impl TestApp {
    /// A server with rate limits off (as for benchmarks), so that tests can hammer it.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let mut config = sluice_server::config::Config::default();
        config.rate_limit.enabled = false;
        Self::spawn_with(backend, config).await
    }

    pub async fn spawn_with(
        backend: Backend,
        config: sluice_server::config::Config,
    ) -> Option<Self> {
        let db = TestDb::create(backend).await?;
        let store = sluice_server::store::connect(&db.url)
            .await
            .expect("connect test database");
        let clock = ManualClock::new(START);
        let origins = vec![
            "http://localhost:*".to_owned(),
            "https://shop.example.com".to_owned(),
        ];
        let (env, token, api_token) = cli::new_environment("test", origins, START);
        store
            .create_environment(&env, &token)
            .await
            .expect("create environment");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let public_url = sluice_server::public_url::PublicUrl::parse(&base).unwrap();
        let hosts = Arc::new(sluice_server::host_lookup::FixedHosts::default());
        let state = AppState::with_config(store.clone(), Arc::new(clock.clone()), config)
            .with_public_url(public_url)
            .with_host_lookup(hosts.clone());
        let shutdown = CancellationToken::new();
        // As `sluice serve` starts it, with the workers left to the tests to step.
        tokio::spawn(sluice_server::run(
            listener,
            state.clone(),
            sluice_server::Workers::Stepped,
            shutdown.clone(),
        ));
        sluice_chain::ensure_tls();
        let http = reqwest::Client::builder().build().unwrap();
        Some(Self {
            base,
            http,
            clock,
            store,
            state,
            env_id: env.id,
            api_token,
            hosts,
            shutdown,
            db,
        })
    }

    /// Another environment with its own token, for isolation tests.
    pub async fn other_environment(&self) -> (EnvironmentId, String) {
        let (env, token, secret) = cli::new_environment("other", vec![], START);
        self.store.create_environment(&env, &token).await.unwrap();
        (env.id, secret)
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.body(body.to_owned());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn server(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let auth = format!("Bearer {}", self.api_token);
        let body = body.map(Value::to_string);
        self.send(
            method,
            &format!("/api/v0/server/{}{path}", self.env_id),
            &[("authorization", &auth)],
            body.as_deref(),
        )
        .await
    }

    /// Creates a payment flow settling USDC on Base to Vitalik's address; returns its ID.
    pub async fn create_flow(&self) -> String {
        self.create_flow_with(json!({})).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a flow from the default body with `overrides` merged in; returns the flow.
    pub async fn create_flow_with(&self, overrides: Value) -> Value {
        let mut body = flow_body();
        for (k, v) in overrides.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = self
            .server(Method::POST, "/flow/payment", Some(&body))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["flow"].clone()
    }

    /// Payer route call as the SDK makes it: JSON content type, an allowed `Origin`, the
    /// SDK's own headers, and the session token when given.
    pub async fn payer(
        &self,
        method: Method,
        flow: &str,
        suffix: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut headers = vec![
            ("content-type", "application/json"),
            ("origin", ALLOWED_ORIGIN),
            ("x-dyn-api-version", "API/0.0.1"),
            ("x-dyn-version", "WalletKit/4.0.0"),
            ("x-dynamic-platform", "browser"),
            ("x-dyn-request-id", "req-1"),
        ];
        if let Some(token) = token {
            headers.push(("x-dynamic-flow-session-token", token));
        }
        let body = body.map(Value::to_string);
        let path = format!("/api/v0/sdk/{}/flow/{flow}{suffix}", self.env_id);
        self.send(method, &path, &headers, body.as_deref()).await
    }

    pub async fn attach(&self, flow: &str, body: &Value) -> Reply {
        self.payer(Method::POST, flow, "/source", None, Some(body))
            .await
    }

    /// Attaches the default wallet source; returns the session token.
    pub async fn attach_wallet(&self, flow: &str) -> String {
        let reply = self.attach(flow, &wallet_source()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["sessionToken"].as_str().unwrap().to_owned()
    }

    pub async fn cancel_as_payer(&self, flow: &str, token: &str) -> Reply {
        self.payer(Method::POST, flow, "/cancel", Some(token), None)
            .await
    }

    pub async fn stored_flow(&self, flow: &str) -> sluice_domain::Flow {
        self.store
            .flow(self.env_id, flow.parse().unwrap())
            .await
            .unwrap()
            .expect("flow exists")
    }

    /// Moves a flow straight to another state through the store, for states whose routes
    /// belong to later issues (prepare → `signing`, the tracker → settlement `completed`).
    pub async fn force(
        &self,
        flow: &str,
        change: impl FnOnce(&mut sluice_domain::Flow) + Send + 'static,
    ) {
        let op = move |current: Option<&sluice_domain::Flow>| {
            let mut next = current.expect("flow exists").clone();
            change(&mut next);
            Ok(sluice_domain::transitions::Transition {
                flow: next,
                events: vec![],
            })
        };
        self.store
            .transition(self.env_id, flow.parse().unwrap(), Box::new(op))
            .await
            .unwrap()
            .unwrap();
    }

    /// The flow as the merchant's API shows it (S2).
    pub async fn flow_view(&self, flow: &str) -> Value {
        self.server(Method::GET, &format!("/flow/{flow}"), None)
            .await
            .body
    }

    /// The data of the flow's `flow.deposit.received` events, oldest first.
    pub async fn deposit_events(&self, flow: &str) -> Vec<Value> {
        let events = self.store.flow_events(flow.parse().unwrap()).await;
        events
            .unwrap()
            .into_iter()
            .filter(|e| e.event_type == "flow.deposit.received")
            .map(|e| e.payload["data"].clone())
            .collect()
    }

    /// `/readyz`'s text (one line per chain).
    pub async fn readyz(&self) -> String {
        let reply = self.send(Method::GET, "/readyz", &[], None).await;
        reply.body.as_str().unwrap_or_default().to_owned()
    }

    pub async fn event_types(&self, flow: &str) -> Vec<String> {
        let events = self.store.flow_events(flow.parse().unwrap()).await.unwrap();
        events.into_iter().map(|e| e.event_type).collect()
    }
}

/// A webhook receiver on a free port: records every request, answers with the status it is
/// told to (200 by default), optionally with `Retry-After`.
#[derive(Clone, Default)]
pub struct Receiver {
    pub received: Arc<std::sync::Mutex<Vec<(reqwest::header::HeaderMap, String)>>>,
    pub status: Arc<std::sync::atomic::AtomicU16>,
    pub retry_after: Arc<std::sync::Mutex<Option<String>>>,
    pub url: String,
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::start_on(listener).await
    }

    pub async fn start_on(listener: tokio::net::TcpListener) -> Self {
        let receiver = Receiver {
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            ..Default::default()
        };
        receiver
            .status
            .store(200, std::sync::atomic::Ordering::SeqCst);
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                |axum::extract::State(r): axum::extract::State<Receiver>,
                 headers: axum::http::HeaderMap,
                 body: String| async move {
                    let mut map = reqwest::header::HeaderMap::new();
                    for (k, v) in &headers {
                        map.insert(
                            reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
                            reqwest::header::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
                        );
                    }
                    r.received.lock().unwrap().push((map, body));
                    let status = axum::http::StatusCode::from_u16(
                        r.status.load(std::sync::atomic::Ordering::SeqCst),
                    )
                    .unwrap();
                    let mut response = axum::response::IntoResponse::into_response(status);
                    if let Some(after) = r.retry_after.lock().unwrap().clone() {
                        response
                            .headers_mut()
                            .insert("retry-after", after.parse().unwrap());
                    }
                    response
                },
            ),
        );
        tokio::spawn(async move { axum::serve(listener, app.with_state(state)).await.unwrap() });
        receiver
    }

    pub fn fail_with(&self, status: u16) {
        self.status
            .store(status, std::sync::atomic::Ordering::SeqCst);
    }

    /// The parsed bodies received so far.
    pub fn bodies(&self) -> Vec<Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| serde_json::from_str(b).unwrap())
            .collect()
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

pub fn flow_body() -> Value {
    json!({
        "amount": "25.00",
        "currency": "USD",
        "settlementConfig": {
            "strategy": "cheapest",
            "settlements": [{"chainName": "EVM", "chainId": "8453", "tokenAddress": USDC_BASE, "symbol": "USDC", "tokenDecimals": 6}]
        },
        "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": VITALIK}]}
    })
}

pub fn wallet_source() -> Value {
    json!({"sourceType": "wallet", "fromAddress": VITALIK, "fromChainId": "8453", "fromChainName": "EVM"})
}

/// Steps `watcher` until it has nothing left to do; returns the work it reported.
pub async fn step_to_idle(watcher: &sluice_server::workers::chain_watch::ChainWatcher) -> usize {
    let mut work = 0;
    while let sluice_server::workers::Step::Worked(n) = watcher.run_once().await.unwrap() {
        work += n;
    }
    work
}
