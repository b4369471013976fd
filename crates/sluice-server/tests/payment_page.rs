//! The hosted payment page in a real browser: Debian's Chromium driven by playwright-core
//! (`tools/browser/pay.mjs`), against a real Sluice and a real anvil. A payer with an injected
//! EIP-6963 wallet pays natively (after rejecting the first request, then trying again) and
//! in the test ERC-20; a deposit-address payment sent by the test completes on the page, and so
//! does one bought through Coinbase (a local double of its API); an
//! expired flow says so, and so does a link to no flow. The page names the merchant and the
//! network, shows the same deposit address after a reload, speaks German when the link or the
//! browser asks for it, and logs no console error (its icon loads). axe-core finds no serious
//! or critical violation in any state, and every state is photographed at 360 and 1280 px into
//! `target/payment-page-screenshots/`. Bitcoin and TRON payers: payment_page_chains.rs.
//!
//! Without Chromium or the npm tools the test says so and passes, unless
//! `SLUICE_REQUIRE_BROWSER=1` (CI), which makes it fail.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::browser::*;
use common::coinbase_double::{CoinbaseDouble, configure_coinbase};
use common::deposit_world::DepositWorld;
use common::evm::{MERCHANT, NATIVE};
use common::*;
use serde_json::{Value, json};
use sluice_server::workers::Step;
use sluice_server::workers::chain_watch::ChainWatcher;
use tokio_util::sync::CancellationToken;

/// What the payer's chain and Sluice's workers do while the browser pays: a block every
/// 250 ms, the chain watcher stepped to idle after each.
fn run_chain_and_workers(w: &DepositWorld, stop: CancellationToken) {
    let watcher = Arc::new(ChainWatcher::new(w.app.state.clone()));
    let rpc = sluice_chain::EvmRpc::new(&w.chain.url, Duration::from_secs(5));
    tokio::spawn(async move {
        while !stop.is_cancelled() {
            let _ = rpc.call("anvil_mine", json!(["0x1"])).await;
            while let Ok(Step::Worked(_)) = watcher.run_once().await {}
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
}

/// A payment link for 25 USD settling in `token` on the anvil chain.
async fn payment_link(w: &DepositWorld, token: &str, extra: Value) -> (String, String) {
    let (symbol, decimals) = if token == NATIVE {
        ("ETH", 18)
    } else {
        ("USDC", 6)
    };
    let mut body = json!({"amount": "25.00", "currency": "USD", "pegStablecoins": true,
        "uiConfig": {"returnUrl": "https://shop.example.com/thanks"},
        "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": "31337", "tokenAddress": token, "symbol": symbol, "tokenDecimals": decimals}]},
        "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": MERCHANT}]}});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let created = w
        .app
        .server(reqwest::Method::POST, "/payment-links", Some(&body))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    (
        created.body["flow"]["id"].as_str().unwrap().to_owned(),
        created.body["paymentUrl"].as_str().unwrap().to_owned(),
    )
}

/// Runs one scenario in the browser; returns its events once it has finished.
async fn browse(
    w: &DepositWorld,
    scenario: &str,
    name: &str,
    url: &str,
    reject_first: bool,
) -> tokio::process::Child {
    let options = json!({"rejectFirst": reject_first});
    browse_with(&w.chain.url, scenario, name, url, options).await
}

/// Sets (or, with `None`, clears) the name payers see, as `sluice env set-display` does.
async fn set_display_name(w: &DepositWorld, name: Option<&str>) {
    let store = &w.app.store;
    let mut env = store.environment(w.app.env_id).await.unwrap().unwrap();
    env.display_name = name.map(str::to_owned);
    store.update_environment(&env).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payers_pay_on_the_hosted_page_in_a_real_browser() {
    if !browser_ready() {
        return;
    }
    let secret = p256::SecretKey::from_slice(&[3; 32]).unwrap();
    let coinbase = CoinbaseDouble::start("cdp-key", &secret).await;
    let extra = format!("[coinbase]\napi_url = \"{}\"", coinbase.url);
    let Some(w) = DepositWorld::start_with(Backend::Sqlite, &extra).await else {
        return;
    };
    configure_coinbase(&w.app, "cdp-key", &secret).await;
    // The page counts down in real time: the server's clock starts at the real now.
    to_real_time(&w.app);
    let stop = CancellationToken::new();
    run_chain_and_workers(&w, stop.clone());
    set_display_name(&w, Some("Acme Coffee")).await;

    // Natively, after rejecting the wallet's first request and trying again.
    let (_, url) = payment_link(&w, NATIVE, json!({})).await;
    let events = finished(
        browse(&w, "wallet", "wallet-native", &url, true).await,
        "wallet-native",
    )
    .await;
    let rejected = events
        .iter()
        .find(|e| e["name"] == "rejected")
        .expect("a rejected state");
    assert!(
        rejected["status"]
            .as_str()
            .unwrap()
            .contains("rejected. You can try again")
    );
    assert!(final_status(&events).contains("Payment complete"));
    assert!(
        events.last().unwrap()["chainSwitches"].as_u64() >= Some(1),
        "the page asks the wallet for the quoted chain"
    );

    // In the test ERC-20.
    let (flow, url) = payment_link(&w, &w.usdc, json!({})).await;
    // Its first quote expires before the payer signs: the page quotes again by itself.
    let browser = browse_with(
        &w.chain.url,
        "wallet",
        "wallet-erc20",
        &url,
        json!({"expireFirstQuote": true}),
    )
    .await;
    // The stand-in 409 is the one error the browser may log.
    let events = finished_allowing(browser, "wallet-erc20", &[409]).await;
    assert!(final_status(&events).contains("Payment complete"));
    let stored = w.app.stored_flow(&flow).await;
    assert_eq!(stored.settlement_state.as_str(), "completed");
    assert_eq!(
        stored.quote_version, 2,
        "quoted again after the expired quote"
    );

    // To a deposit address: the test sends the funds once the page shows the address.
    let (flow, url) = payment_link(&w, &w.usdc, json!({})).await;
    let browser = browse(&w, "deposit", "deposit", &url, false).await;
    let address = deposit_address(&w.app, &flow).await;
    w.send_usdc(&address, 25_000_000).await;
    let events = finished(browser, "deposit").await;
    assert_eq!(
        event(&events, "methods")["wallet"],
        true,
        "the EVM wallet is offered"
    );
    let shown = event(&events, "deposit");
    assert_eq!(shown["address"], address.as_str());
    assert!(final_status(&events).contains("Payment complete"));

    // Named merchant and network; a reload shows the same address, not the choice again.
    let (flow, url) = payment_link(&w, &w.usdc, json!({})).await;
    let events = finished(browse(&w, "reload", "reload", &url, false).await, "reload").await;
    let page = event(&events, "page");
    assert_eq!(page["heading"], "Pay Acme Coffee");
    assert_eq!(page["title"], "Pay Acme Coffee");
    assert_eq!(page["lang"], "en");
    assert_eq!(page["iconStatus"], 200, "the page's icon loads");
    let (first, again) = (event(&events, "deposit"), event(&events, "reloaded"));
    let address = w.app.stored_flow(&flow).await.deposit_address.unwrap();
    assert_eq!(first["address"], address.as_str());
    assert_eq!(first["amount"], "25 USDC");
    let network = first["network"].as_str().unwrap();
    assert!(
        network.starts_with("USDC on Local chain (31337)."),
        "{network}"
    );
    assert_eq!(
        again["address"], first["address"],
        "the same address after a reload"
    );
    assert_eq!(again["amount"], first["amount"]);
    assert_eq!(again["network"], first["network"]);
    assert_eq!(
        again["methodsShown"], false,
        "no method choice after a reload"
    );

    // German, asked for by the link (`lang=de`) or by the browser (Accept-Language).
    let (_, url) = payment_link(&w, &w.usdc, json!({})).await;
    for (name, url, locale) in [
        ("german-link", format!("{url}&lang=de"), "en-US"),
        ("german-browser", url.clone(), "de-DE"),
    ] {
        let options = json!({"locale": locale});
        let events = finished(
            browse_with(&w.chain.url, "language", name, &url, options).await,
            name,
        )
        .await;
        let page = event(&events, "page");
        assert_eq!(page["lang"], "de", "{name}");
        assert_eq!(page["heading"], "Zahlung an Acme Coffee", "{name}");
        let buttons = &event(&events, "methods")["buttons"];
        assert!(
            buttons
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b == "An eine Adresse zahlen"),
            "{name}: {buttons}"
        );
    }

    // Through Coinbase: the page opens the purchase link; the bought USDC arrives.
    let (flow, url) = payment_link(&w, &w.usdc, json!({})).await;
    let browser = browse(&w, "exchange", "coinbase", &url, false).await;
    let address = deposit_address(&w.app, &flow).await;
    // The payer buys after the page reported the purchase link opened (P7).
    for _ in 0..600 {
        if w.app.stored_flow(&flow).await.execution_state.as_str() == "broadcasted" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    w.send_usdc(&address, 25_000_000).await;
    let events = finished(browser, "coinbase").await;
    let opened = events.iter().find(|e| e["event"] == "purchase").unwrap();
    assert!(
        opened["url"]
            .as_str()
            .unwrap()
            .starts_with("https://pay.coinbase.com/buy/select-asset?sessionToken="),
        "{opened}"
    );
    assert!(final_status(&events).contains("Payment complete"));

    // Expired before anyone paid; without a display name the heading is a neutral one (the
    // clock's jump also ages the environment out of the page's cache).
    set_display_name(&w, None).await;
    let (_, url) = payment_link(&w, &w.usdc, json!({"expiresIn": 60})).await;
    w.app.clock.advance_seconds(61);
    let events = finished(
        browse(&w, "expired", "expired", &url, false).await,
        "expired",
    )
    .await;
    assert!(final_status(&events).contains("Payment expired"));
    assert_eq!(event(&events, "page")["heading"], "Payment");

    // A link that names no flow: a readable page, accessible too.
    let url = format!("{}/pay?flow=bm90LWEtZmxvdw", w.app.base);
    let events = finished_allowing(
        browse(&w, "notfound", "not-found", &url, false).await,
        "not-found",
        &[404],
    )
    .await;
    assert_eq!(event(&events, "page")["iconStatus"], 200);
    stop.cancel();
}
