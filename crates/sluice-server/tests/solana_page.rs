//! The hosted payment page with a Solana wallet in a real browser (Chromium, as in
//! payment_page.rs): a wallet registered through the Wallet Standard (as Phantom and Solflare
//! are) is offered by name, connects, signs P6's serializedTransaction with its ed25519 key
//! and sends it to the Solana node (the runtime of `sluice-solana-testnode`); the page reports
//! the signature and completes once the watcher sees it finalized. No EVM wallet and no
//! deposit address are offered for a flow that settles only on Solana.

mod common;
#[path = "solana/world.rs"]
mod solana_world;

use std::time::Duration;

use common::Backend;
use common::browser::*;
use serde_json::json;
use solana_world::{CHAIN_ID, SolanaWorld};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn solana_payers_pay_with_a_wallet_standard_wallet_on_the_hosted_page() {
    if !browser_ready() {
        return;
    }
    let Some(w) = SolanaWorld::start(Backend::Sqlite).await else {
        return;
    };
    to_real_time(&w.app);
    let body = json!({"amount": "25.00", "currency": "USD", "pegStablecoins": true,
        "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "SOL", "chainId": CHAIN_ID, "tokenAddress": SolanaWorld::usdc(), "symbol": "USDC", "tokenDecimals": 6}]},
        "destinationConfig": {"destinations": [{"chainName": "SOL", "type": "address", "identifier": w.merchant.address()}]}});
    let created = w
        .app
        .server(reqwest::Method::POST, "/payment-links", Some(&body))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let flow = created.body["flow"]["id"].as_str().unwrap().to_owned();
    let url = created.body["paymentUrl"].as_str().unwrap();
    // The wallet's key is the world's payer's (seed 7).
    let solana = json!({"nodeUrl": w.node.url, "seed": data_encoding::HEXLOWER.encode(&[7; 32]), "address": w.payer.address()});
    let browser = browse_with("", "solana", "solana", url, json!({"solana": solana})).await;
    let done = finished(browser, "solana");
    tokio::pin!(done);
    // Slots pass and the watcher steps while the payer pays.
    let events = loop {
        tokio::select! {
            events = &mut done => break events,
            _ = tokio::time::sleep(Duration::from_millis(250)) => { w.advance_and_step(4).await; }
        }
    };
    let methods = event(&events, "methods");
    assert_eq!(methods["wallet"], false, "no EVM wallet for Solana");
    assert_eq!(methods["address"], false, "no deposit address on Solana");
    assert!(final_status(&events).contains("Payment complete"));
    let stored = w.app.stored_flow(&flow).await;
    assert_eq!(stored.settlement_state.as_str(), "completed");
    let payer = w.payer.address();
    assert_eq!(
        stored.source.unwrap().from_address.as_deref(),
        Some(payer.as_str())
    );
    let paid = w
        .node
        .with_runtime(|r| r.token_balance(&w.merchant.pubkey(), &solana_world::USDC));
    assert_eq!(paid, Some(25_000_000));
}
