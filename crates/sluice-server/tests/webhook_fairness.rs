//! One endpoint cannot stall another's webhooks, on SQLite and PostgreSQL: the claim's
//! per-endpoint cap (in the store, so it holds across instances), a hanging endpoint in one
//! environment while another environment's webhook goes through, and the delivery throughput
//! of the production loop (`bench/webhooks.sh` runs it large, in release).
//!
//! Waits here are bounded polls of what a receiver saw, never timed assertions: the hanging
//! receiver never answers, so a wrong implementation fails by not delivering at all.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sluice_server::config::Config;
use sluice_server::workers::Step;
use sluice_server::workers::delivery::DeliveryWorker;
use sluice_store::{Attempt, AttemptOutcome, ClaimLimits, DeliveryStatus};
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

both_backends!(
    claims_keep_each_endpoint_within_its_cap,
    a_hanging_endpoint_does_not_hold_back_another_environment,
    the_per_endpoint_cap_holds_across_instances,
    delivery_throughput_to_fast_receivers,
);

fn config(per_endpoint: u32, max_in_flight: u32) -> Config {
    let mut config = Config::default();
    config.rate_limit.enabled = false;
    config.webhooks.allow_private_urls = true;
    // Long enough that no hanging send ends while a test looks.
    config.webhooks.request_timeout_secs = 120;
    config.webhooks.max_in_flight_per_endpoint = per_endpoint;
    config.webhooks.max_in_flight = max_in_flight;
    config
}

/// Default concurrency and timeout, loopback receivers allowed, rate limits off.
fn fast_config() -> Config {
    let mut config = Config::default();
    config.rate_limit.enabled = false;
    config.webhooks.allow_private_urls = true;
    config
}

/// A receiver that accepts connections and never answers; it counts the connections open
/// now and the most that were ever open at once.
#[derive(Clone, Default)]
struct Hanging {
    open: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    url: String,
}

impl Hanging {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hanging = Self {
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            ..Self::default()
        };
        let state = hanging.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let state = state.clone();
                let now = state.open.fetch_add(1, Ordering::SeqCst) + 1;
                state.most.fetch_max(now, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while socket.read(&mut buf).await.is_ok_and(|n| n > 0) {}
                    state.open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        hanging
    }
}

/// Polls `done` until it holds; panics after a generous bound.
async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Creates an endpoint in `env` (with that environment's API token); returns its ID.
async fn endpoint_in(app: &TestApp, env: &str, token: &str, body: Value) -> String {
    let auth = format!("Bearer {token}");
    let path = format!("/api/v0/server/{env}/webhooks");
    let body = body.to_string();
    let reply = app
        .send(
            Method::POST,
            &path,
            &[("authorization", &auth)],
            Some(&body),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// Queues two events (execution and risk) per flow for every endpoint of the test environment.
async fn queue_events(app: &TestApp, flows: usize) {
    for _ in 0..flows {
        let flow = app.create_flow().await;
        app.attach_wallet(&flow).await;
    }
}

/// Runs the production loop of `worker` in the background.
fn dispatch(worker: &Arc<DeliveryWorker>, stop: &CancellationToken) -> tokio::task::JoinHandle<()> {
    let interval = Duration::from_millis(20);
    tokio::spawn(sluice_server::workers::dispatch::run(
        Arc::clone(worker),
        interval,
        stop.clone(),
    ))
}

async fn claims_keep_each_endpoint_within_its_cap(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, config(3, 64)).await else {
        return;
    };
    let (env, token) = (app.env_id.to_string(), app.api_token.clone());
    let busy = endpoint_in(&app, &env, &token, json!({"url": "http://127.0.0.1:9/a"})).await;
    let quiet = json!({"url": "http://127.0.0.1:9/b", "eventTypes": ["ping"]});
    let quiet = endpoint_in(&app, &env, &token, quiet).await;
    queue_events(&app, 4).await; // busy: ping + 8 events; quiet: its ping
    let store = &app.store;
    let per_endpoint = |claimed: &[sluice_store::Delivery]| {
        let mut counts = HashMap::<String, usize>::new();
        for d in claimed {
            *counts.entry(d.endpoint_id.clone()).or_default() += 1;
        }
        (counts.get(&busy).copied(), counts.get(&quiet).copied())
    };
    let limits = |total| ClaimLimits {
        total,
        per_endpoint: 3,
    };
    let lease = START.plus_seconds(60);
    let first = store
        .claim_deliveries(START, lease, limits(100))
        .await
        .unwrap();
    assert_eq!(per_endpoint(&first), (Some(3), Some(1)));
    let again = store
        .claim_deliveries(START, lease, limits(100))
        .await
        .unwrap();
    assert!(again.is_empty(), "the busy endpoint is at its cap");

    // A recorded attempt releases its lease, and the endpoint has room for one more.
    let attempt = Attempt {
        attempted_at: START,
        status_code: Some(500),
        duration_ms: 1,
        error: Some("HTTP 500".into()),
    };
    let retry = AttemptOutcome {
        status: DeliveryStatus::Pending,
        next_attempt_at: Some(START.plus_seconds(1000)),
    };
    let done = first.iter().find(|d| d.endpoint_id == busy).unwrap();
    store
        .record_attempt(&done.id, &attempt, &retry)
        .await
        .unwrap();
    let one = store
        .claim_deliveries(START, lease, limits(100))
        .await
        .unwrap();
    assert_eq!(per_endpoint(&one), (Some(1), None));

    // Expired leases count for nothing and their deliveries are due again; `total` bounds a claim.
    let later = START.plus_seconds(61);
    let lease = later.plus_seconds(60);
    let two = store
        .claim_deliveries(later, lease, limits(2))
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    let rest = store
        .claim_deliveries(later, lease, limits(100))
        .await
        .unwrap();
    let (busy_n, quiet_n) = (per_endpoint(&two), per_endpoint(&rest));
    let sum = |a: Option<usize>, b: Option<usize>| a.unwrap_or(0) + b.unwrap_or(0);
    assert_eq!(
        (sum(busy_n.0, quiet_n.0), sum(busy_n.1, quiet_n.1)),
        (3, 1),
        "live leases after both claims, per endpoint"
    );
}

async fn a_hanging_endpoint_does_not_hold_back_another_environment(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, config(2, 8)).await else {
        return;
    };
    let hanging = Hanging::start().await;
    let (env, token) = (app.env_id.to_string(), app.api_token.clone());
    let stuck = endpoint_in(&app, &env, &token, json!({"url": hanging.url})).await;
    queue_events(&app, 25).await; // 50 events and the ping, all due before B's
    app.clock.advance_seconds(1);
    let receiver = Receiver::start().await;
    let (env_b, token_b) = app.other_environment().await;
    let healthy = json!({"url": receiver.url});
    let healthy = endpoint_in(&app, &env_b.to_string(), &token_b, healthy).await;

    let worker = Arc::new(DeliveryWorker::new(app.state.clone()));
    let stop = CancellationToken::new();
    let running = dispatch(&worker, &stop);
    wait_for("B's ping", || receiver.count() == 1).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let b = app.store.deliveries(env_b, &healthy, 10).await.unwrap();
        if b[0].0.status == DeliveryStatus::Succeeded {
            break;
        }
        assert!(Instant::now() < deadline, "B's attempt was never recorded");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let a = app.store.deliveries(app.env_id, &stuck, 100).await.unwrap();
    assert_eq!(a.len(), 51);
    assert!(
        a.iter()
            .all(|(d, attempts)| attempts.is_empty() && d.status == DeliveryStatus::Pending),
        "B was delivered while every one of A's deliveries was still stuck"
    );
    assert!(
        hanging.most.load(Ordering::SeqCst) <= 2,
        "A never exceeds its cap"
    );
    wait_for("A's cap of hanging sends", || {
        hanging.open.load(Ordering::SeqCst) == 2
    })
    .await;
    assert_eq!(hanging.most.load(Ordering::SeqCst), 2);
    stop.cancel();
    running.abort();
}

async fn the_per_endpoint_cap_holds_across_instances(backend: Backend) {
    let config = config(3, 16);
    let Some(app) = TestApp::spawn_with(backend, config.clone()).await else {
        return;
    };
    let hanging = Hanging::start().await;
    let (env, token) = (app.env_id.to_string(), app.api_token.clone());
    endpoint_in(&app, &env, &token, json!({"url": hanging.url})).await;
    queue_events(&app, 10).await;
    // A second instance: its own store connection to the same database, its own worker.
    let store = sluice_server::store::connect(&app.db.url).await.unwrap();
    let clock = Arc::new(app.clock.clone());
    let other = sluice_server::AppState::with_config(store, clock, config);
    let workers = [
        Arc::new(DeliveryWorker::new(app.state.clone())),
        Arc::new(DeliveryWorker::new(other)),
    ];
    let stop = CancellationToken::new();
    let running: Vec<_> = workers.iter().map(|w| dispatch(w, &stop)).collect();
    wait_for("the cap's worth of connections", || {
        hanging.open.load(Ordering::SeqCst) == 3
    })
    .await;
    for _ in 0..5 {
        for worker in &workers {
            assert_eq!(worker.run_once().await.unwrap(), Step::Idle, "no room left");
        }
    }
    assert_eq!(hanging.most.load(Ordering::SeqCst), 3);
    stop.cancel();
    running.iter().for_each(tokio::task::JoinHandle::abort);
}

/// Deliveries per second from queue to recorded attempts, through the production loop, to
/// fast receivers. `SLUICE_BENCH_DELIVERIES` (default 320) and `SLUICE_BENCH_ENDPOINTS`
/// (default 16) set the size; the figure is printed.
async fn delivery_throughput_to_fast_receivers(backend: Backend) {
    let var = |name: &str, default: usize| {
        std::env::var(name).map_or(default, |v| v.parse().expect("a number"))
    };
    let (total, endpoints) = (
        var("SLUICE_BENCH_DELIVERIES", 320),
        var("SLUICE_BENCH_ENDPOINTS", 16),
    );
    let Some(app) = TestApp::spawn_with(backend, fast_config()).await else {
        return;
    };
    let (env, token) = (app.env_id.to_string(), app.api_token.clone());
    let mut receivers = Vec::new();
    for _ in 0..endpoints {
        let receiver = Receiver::start().await;
        endpoint_in(&app, &env, &token, json!({"url": receiver.url})).await;
        receivers.push(receiver);
    }
    let worker = Arc::new(DeliveryWorker::new(app.state.clone()));
    while worker.run_once().await.unwrap() != Step::Idle {} // the pings are not measured
    let flows = total.div_ceil(2 * endpoints);
    queue_events(&app, flows).await;
    let expected = flows * 2 * endpoints;
    let received = || receivers.iter().map(Receiver::count).sum::<usize>();
    let start = (Instant::now(), received());
    let stop = CancellationToken::new();
    let running = dispatch(&worker, &stop);
    wait_for("every delivery", || received() - start.1 == expected).await;
    stop.cancel();
    running.await.unwrap(); // the last sends record their attempts
    let secs = start.0.elapsed().as_secs_f64();
    println!(
        "webhook throughput {backend:?}: {expected} deliveries to {endpoints} endpoints in {secs:.2} s = {:.0}/s",
        f64::from(u32::try_from(expected).unwrap()) / secs
    );
    assert_eq!(worker.run_once().await.unwrap(), Step::Idle, "all recorded");
    for receiver in &receivers {
        assert_eq!(
            receiver.count(),
            1 + flows * 2,
            "its ping, then each event once"
        );
    }
}
