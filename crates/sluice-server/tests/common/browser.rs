//! Driving the hosted payment page in Debian's Chromium for the browser tests
//! (`tools/browser/pay.mjs`, playwright-core): one scenario per run, its events read back,
//! accessibility and console checked. Without Chromium or the npm tools a browser test says so
//! and passes, unless `SLUICE_REQUIRE_BROWSER=1` (CI), which makes it fail.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use super::TestApp;
use super::evm::PAYER;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether the browser tools are here; without them, a loud skip (or a failure in CI).
pub fn browser_ready() -> bool {
    let chromium = std::env::var("SLUICE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let tools = repo().join("tools/browser/node_modules/playwright-core");
    let ready = std::path::Path::new(&chromium).exists() && tools.exists();
    if !ready {
        if std::env::var("SLUICE_REQUIRE_BROWSER").is_ok_and(|v| v == "1" || v == "true") {
            panic!(
                "the browser tests are required (SLUICE_REQUIRE_BROWSER) but {chromium} or {} is missing; run scripts/test.sh",
                tools.display()
            );
        }
        let _ = writeln!(
            std::io::stderr(),
            "\n*** Browser tests did NOT run: no {chromium} or no tools/browser/node_modules. Run scripts/test.sh. ***\n"
        );
    }
    ready
}

/// Runs one scenario whose injected wallet talks to the EVM node at `rpc_url`.
pub async fn browse_with(
    rpc_url: &str,
    scenario: &str,
    name: &str,
    url: &str,
    options: Value,
) -> tokio::process::Child {
    let mut config = json!({
        "url": url, "scenario": scenario, "name": name,
        "rpcUrl": rpc_url, "account": PAYER, "chainId": 31337,
        "shots": repo().join("target/payment-page-screenshots"),
    });
    for (k, v) in options.as_object().unwrap() {
        config[k] = v.clone();
    }
    tokio::process::Command::new("node")
        .arg(repo().join("tools/browser/pay.mjs"))
        .arg(config.to_string())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs")
}

pub async fn finished(child: tokio::process::Child, name: &str) -> Vec<Value> {
    finished_allowing(child, name, &[]).await
}

/// Like [`finished`], for a scenario whose page is expected to get these HTTP statuses (and
/// the console lines browsers log for them); any other console error fails it.
pub async fn finished_allowing(
    child: tokio::process::Child,
    name: &str,
    expected_statuses: &[u64],
) -> Vec<Value> {
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the browser scenario finishes")
        .unwrap();
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(out.status.success(), "{name}: {events:#?}");
    for state in events.iter().filter(|e| e["event"] == "state") {
        assert_eq!(
            state["violations"],
            json!([]),
            "{name}: accessibility in state {}",
            state["name"]
        );
    }
    assert!(
        !events.iter().any(|e| e["event"] == "pageerror"),
        "{name}: {events:#?}"
    );
    let expected = |status: u64| expected_statuses.contains(&status);
    for e in &events {
        let unexpected = match e["event"].as_str() {
            Some("http") => !expected(e["status"].as_u64().unwrap_or_default()),
            Some("console") => !expected_statuses.iter().any(|s| {
                let text = e["text"].as_str().unwrap_or_default();
                text.starts_with("Failed to load resource") && text.contains(&s.to_string())
            }),
            _ => false,
        };
        assert!(!unexpected, "{name}: an unexpected error on the page: {e}");
    }
    events
}

pub fn event<'a>(events: &'a [Value], kind: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == kind)
        .unwrap_or_else(|| panic!("no {kind} event in {events:#?}"))
}

/// The flow's deposit address, once the page has had one allocated.
pub async fn deposit_address(app: &TestApp, flow: &str) -> String {
    for _ in 0..600 {
        if let Some(address) = app.stored_flow(flow).await.deposit_address {
            return address;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never got a deposit address for {flow}");
}

pub fn final_status(events: &[Value]) -> String {
    events.last().unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Moves `app`'s clock forward to the real now (to the second): the page counts down in real
/// time. Called again, it catches up with the time passed since.
pub fn to_real_time(app: &TestApp) -> std::time::Duration {
    use sluice_domain::Clock;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let behind = now.as_secs() as i64 - app.clock.now().0 / 1000;
    if behind > 0 {
        app.clock.advance_seconds(behind);
    }
    now
}
