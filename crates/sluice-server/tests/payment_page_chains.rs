//! The hosted payment page on Bitcoin and TRON in a real browser (Chromium, as in
//! payment_page.rs): a Bitcoin payer pays a `tb1…` deposit address shown with its BIP-21 QR
//! code; a TRON payer pays a `T…` deposit address (its QR code the bare address) or pays with
//! TronLink (TRON's SDK behind a TronLink stand-in, against the FullNode double). No EVM wallet
//! is offered for a flow that settles only on Bitcoin or TRON.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::bitcoin_world::{BitcoinWorld, FLOW_SATS};
use common::browser::*;
use common::tron_world::{CHAIN_ID, MERCHANT, PAYER_KEY, TronWorld};
use common::*;
use serde_json::{Value, json};
use sluice_server::workers::Step;
use sluice_server::workers::chain_watch::ChainWatcher;
use tokio_util::sync::CancellationToken;

/// A Bitcoin payer on the hosted page: a `tb1…` deposit address with its BIP-21 QR code and
/// the network named, the test's node wallet pays it, and the page completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitcoin_payers_pay_to_a_deposit_address_on_the_hosted_page() {
    if !browser_ready() {
        return;
    }
    let Some(w) = BitcoinWorld::start(Backend::Sqlite).await else {
        return;
    };
    to_real_time(&w.app);
    w.node.funded_payer("bech32").await;
    // A block every 250 ms, the watcher (another holder: the world's gives its lease up)
    // stepped to idle after each.
    w.watcher.release().await;
    let watcher = Arc::new(ChainWatcher::new(w.app.state.clone()));
    let (rpc, stop) = (w.node.rpc(), CancellationToken::new());
    let miner = common::litecoin::on_node(&common::bitcoin_world::program_address(0x33));
    let running = stop.clone();
    tokio::spawn(async move {
        while !running.is_cancelled() {
            let _: Result<Value, _> = rpc.call("generatetoaddress", json!([1, miner])).await;
            while let Ok(Step::Worked(_)) = watcher.run_once().await {}
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    let body = json!({"amount": "25.00", "currency": "USD",
        "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "BTC", "chainId": "regtest", "tokenAddress": "bitcoin", "symbol": "BTC", "tokenDecimals": 8}]},
        "destinationConfig": {"destinations": [{"chainName": "BTC", "type": "address", "identifier": w.merchant}]}});
    let created = w
        .app
        .server(reqwest::Method::POST, "/payment-links", Some(&body))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let flow = created.body["flow"]["id"].as_str().unwrap().to_owned();
    let url = created.body["paymentUrl"].as_str().unwrap().to_owned();
    let browser = browse_with("", "deposit", "bitcoin-deposit", &url, json!({})).await;
    let address = deposit_address(&w.app, &flow).await;
    assert!(address.starts_with("tb1q"), "{address}");
    w.send(&address, FLOW_SATS).await;
    let events = finished(browser, "bitcoin-deposit").await;
    assert_eq!(
        event(&events, "methods")["wallet"],
        false,
        "no EVM wallet button for a flow that settles only in BTC"
    );
    let shown = event(&events, "deposit");
    assert_eq!(shown["address"], address.as_str());
    assert_eq!(shown["amount"], "0.0005 BTC");
    let network = shown["network"].as_str().unwrap();
    assert!(network.contains("Bitcoin regtest"), "{network}");
    assert_eq!(
        shown["qr"],
        format!("bitcoin:{address}?amount=0.0005"),
        "a BIP-21 URI"
    );
    assert!(final_status(&events).contains("Payment complete"));
    stop.cancel();
}

/// A payment link for 25 USD settling in the world's USDT on TRON: the flow and its URL.
async fn tron_link(w: &TronWorld) -> (String, String) {
    let body = json!({"amount": "25.00", "currency": "USD", "pegStablecoins": true,
        "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "TRON", "chainId": CHAIN_ID, "tokenAddress": w.usdt.to_string(), "symbol": "USDT", "tokenDecimals": 6}]},
        "destinationConfig": {"destinations": [{"chainName": "TRON", "type": "address", "identifier": MERCHANT}]}});
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

/// A TRON world on the real time (the page counts down), its node's clock too.
async fn tron_world() -> Option<TronWorld> {
    if !browser_ready() {
        return None;
    }
    let w = TronWorld::start(Backend::Sqlite).await?;
    let now = to_real_time(&w.app);
    // Blocks come every 250 ms in these tests: stamped on the real time, not 3 s apart, so
    // that a quote's expiration stays ahead of the chain.
    w.node.set_block_interval(1);
    w.node.advance_to(now.as_millis() as i64);
    w.node.mine(1).await;
    Some(w)
}

/// The scenario's events, with a block mined and the watcher stepped every 250 ms meanwhile.
/// Sluice's clock and the chain's both follow the real time, however slowly the browser runs,
/// so that a quote's expiration (and the transaction's, which is the quote's) is judged by
/// the node on the same time Sluice set it by.
async fn finished_while_mining(
    w: &TronWorld,
    browser: tokio::process::Child,
    name: &str,
) -> Vec<Value> {
    let done = finished(browser, name);
    tokio::pin!(done);
    loop {
        tokio::select! {
            events = &mut done => break events,
            _ = tokio::time::sleep(Duration::from_millis(250)) => {
                let now = to_real_time(&w.app);
                w.node.advance_to(now.as_millis() as i64);
                w.mine_and_step(1).await;
                // A head running ahead of the real time expires the page's transaction early.
                let ahead = w.node.head_time() - now.as_millis() as i64;
                assert!(ahead < 1_000, "the TRON double's head is {ahead} ms ahead of the real time");
            }
        }
    }
}

/// A TRON payer on the hosted page: a `T…` deposit address with its QR code (the bare
/// address: TRON has no payment URI) and the network named; the payer's USDT arrives and the
/// page completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_payers_pay_to_a_deposit_address_on_the_hosted_page() {
    let Some(w) = tron_world().await else {
        return;
    };
    let mnemonic = "legal winner thank year wave sausage worth useful legal winner thank yellow";
    let sdk =
        common::tron_sdk::oracle(json!({"op": "addresses", "mnemonic": mnemonic, "count": 1}))
            .unwrap();
    w.set_deposit_key(sdk["xpub"].as_str().unwrap()).await;
    let (flow, url) = tron_link(&w).await;
    let browser = browse_with("", "deposit", "tron-deposit", &url, json!({})).await;
    let address = deposit_address(&w.app, &flow).await;
    assert_eq!(address, sdk["addresses"][0].as_str().unwrap());
    let to = sluice_chain::tron::TronAddress::parse(&address).unwrap();
    let contract = sluice_chain::tron::Contract::Trigger {
        owner: w.payer,
        contract: w.usdt,
        data: sluice_chain::tron::chain::transfer_data(&to, 25_000_000),
    };
    let raw = w
        .own_transaction(contract, Some(100_000_000), 600_000)
        .await;
    let sent = w.sign_and_broadcast(&raw, &PAYER_KEY).await;
    assert_eq!(sent["result"], true, "{sent}");
    let events = finished_while_mining(&w, browser, "tron-deposit").await;
    assert_eq!(
        event(&events, "methods")["wallet"],
        false,
        "no EVM wallet for TRON"
    );
    let shown = event(&events, "deposit");
    assert_eq!(shown["address"], address.as_str());
    assert_eq!(shown["amount"], "25 USDT");
    assert_eq!(shown["qr"], address.as_str(), "the bare address");
    let network = shown["network"].as_str().unwrap();
    assert!(network.contains("TRON Nile testnet"), "{network}");
    assert!(final_status(&events).contains("Payment complete"));
}

/// A TRON payer with TronLink on the hosted page: the page reads the transaction back from
/// Sluice's rawDataHex, the wallet (TRON's SDK behind a TronLink stand-in) checks, signs and
/// broadcasts it to the FullNode double, and the page completes once the watcher settles it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tron_payers_pay_with_tronlink_on_the_hosted_page() {
    let Some(w) = tron_world().await else {
        return;
    };
    let (flow, url) = tron_link(&w).await;
    let tron = json!({"nodeUrl": w.node.url, "apiKey": common::tron_world::API_KEY, "address": w.payer.to_string(),
        "privateKey": data_encoding::HEXLOWER.encode(&PAYER_KEY)});
    let browser = browse_with("", "tronlink", "tronlink", &url, json!({"tron": tron})).await;
    let events = finished_while_mining(&w, browser, "tronlink").await;
    assert_eq!(
        event(&events, "methods")["wallet"],
        false,
        "no EVM wallet for TRON"
    );
    assert!(final_status(&events).contains("Payment complete"));
    let stored = w.app.stored_flow(&flow).await;
    assert_eq!(stored.settlement_state.as_str(), "completed");
    let payer = w.payer.to_string();
    assert_eq!(
        stored.source.unwrap().from_address.as_deref(),
        Some(payer.as_str())
    );
}
