//! Bitcoin deposit addresses on a real regtest node (spec §10.1, §9): flow *i* gets the P2WPKH
//! address at `0/i` of the environment's BTC key, each block is read once and its outputs
//! matched by script, and the amount rules are EVM's: exact, split, over, under at expiry,
//! late; the scan handed to another instance without gap or double count; node calls per
//! block independent of the open flows.

mod common;

use common::Backend;
use common::bitcoin_world::{BitcoinWorld, FLOW_SATS};
use common::deposit_world::{second_instance, states};
use common::litecoin::{TPUB, on_node};
use serde_json::{Value, json};
use sluice_domain::deposit_key::{ChainFamily, ExtendedPublicKey};

both_backends!(
    deposits_to_the_derived_address_complete_the_flow,
    split_over_and_late_deposits_follow_the_amount_rules,
    a_short_deposit_fails_at_expiry_with_both_amounts,
    another_instance_takes_the_scan_over_without_gap_or_double_count,
    node_calls_per_block_do_not_grow_with_open_flows,
    a_key_of_another_network_is_refused_before_an_address_is_handed_out,
    exchange_purchases_are_not_offered_on_bitcoin,
);

/// A quoted BTC deposit flow: its ID and deposit address.
async fn deposit_flow(w: &BitcoinWorld, extra: Value) -> (String, String) {
    let flow = w.create_flow(extra).await;
    let source =
        json!({"sourceType": "deposit_address", "fromChainId": "regtest", "fromChainName": "BTC"});
    let (_, quoted) = w.attach_and_quote(&flow, &source).await;
    assert_eq!(quoted["quote"]["toAmount"], FLOW_SATS.to_string());
    let address = quoted["depositAddress"].as_str().unwrap().to_owned();
    (flow, address)
}

async fn deposits_to_the_derived_address_complete_the_flow(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    w.node.funded_payer("bech32").await;
    w.step_to_idle().await;
    let (flow, address) = deposit_flow(&w, json!({})).await;
    // Sluice's address for flow 0 is the node's own derivation of 0/0 (same witness program).
    let key = ExtendedPublicKey::parse(TPUB).unwrap();
    assert_eq!(address, key.deposit_address(ChainFamily::Btc, 0).unwrap());
    let descriptor = w
        .rpc("getdescriptorinfo", json!([format!("wpkh({TPUB}/0/*)")]))
        .await;
    let derived = w
        .rpc("deriveaddresses", json!([descriptor["descriptor"], [0, 0]]))
        .await;
    assert_eq!(derived[0], on_node(&address));

    w.send(&address, FLOW_SATS).await;
    w.mine_and_step(1).await;
    assert_eq!(states(&w.view(&flow).await).0, "source_detected");
    w.mine_and_step(1).await;
    let view = w.view(&flow).await;
    assert_eq!(states(&view).1, "completed", "{view}");
    let deposits = view["deposits"].as_array().unwrap();
    assert_eq!(deposits.len(), 1);
    assert_eq!(deposits[0]["chainId"], "regtest");
    assert_eq!(deposits[0]["tokenAddress"], "bitcoin");
    assert_eq!(deposits[0]["amount"], FLOW_SATS.to_string());
    assert_eq!(w.deposit_events(&flow).await.len(), 1);
}

async fn split_over_and_late_deposits_follow_the_amount_rules(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    w.node.funded_payer("bech32").await;
    w.step_to_idle().await;
    let (split, split_address) = deposit_flow(&w, json!({})).await;
    let (over, over_address) = deposit_flow(&w, json!({})).await;
    assert_ne!(split_address, over_address);
    w.send(&split_address, 20_000).await;
    w.mine_and_step(2).await;
    assert_eq!(states(&w.view(&split).await).1, "none", "20,000 of 50,000");
    w.send(&split_address, 30_000).await;
    w.send(&over_address, FLOW_SATS + 7_000).await;
    w.mine_and_step(2).await;
    let view = w.view(&split).await;
    assert_eq!(states(&view).1, "completed", "{view}");
    assert_eq!(view["deposits"].as_array().unwrap().len(), 2);
    let view = w.view(&over).await;
    assert_eq!(states(&view).1, "completed", "{view}");
    assert_eq!(view["settlement"]["excessAmount"], "7000", "{view}");

    // After completion another transfer is recorded, not counted, and announced.
    w.send(&split_address, 5_000).await;
    w.mine_and_step(2).await;
    let view = w.view(&split).await;
    let deposits = view["deposits"].as_array().unwrap();
    assert_eq!(deposits.len(), 3, "{view}");
    assert_eq!(deposits[2]["counted"], false);
    assert_eq!(w.deposit_events(&split).await.len(), 3);

    // The operator's list shows the BTC addresses and what each received.
    let env = w.app.env_id.to_string();
    let args = ["env", "deposit-addresses", "--env", &env];
    let (ok, out, err) = common::binary::sluice(&w.app.db.url, &args).await;
    assert!(ok, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["chainFamily"], "BTC");
    assert_eq!(lines[0]["address"], split_address.as_str());
    assert_eq!(
        lines[0]["received"],
        json!([{"chainId": "regtest", "tokenAddress": "bitcoin", "amount": "55000",
                "countedAmount": "50000", "transfers": 3}])
    );
    assert_eq!(
        lines[1]["received"][0]["amount"],
        (FLOW_SATS + 7_000).to_string()
    );
}

async fn a_short_deposit_fails_at_expiry_with_both_amounts(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    w.node.funded_payer("bech32").await;
    w.step_to_idle().await;
    let (flow, address) = deposit_flow(&w, json!({"expiresIn": 600})).await;
    w.send(&address, 10_000).await;
    w.mine_and_step(2).await;
    assert_eq!(states(&w.view(&flow).await).1, "none");
    w.app.clock.advance_seconds(600);
    w.step_to_idle().await;
    let view = w.view(&flow).await;
    assert_eq!(states(&view).0, "failed", "{view}");
    assert_eq!(view["failure"]["code"], "underpaid", "{view}");
    let details = &view["failure"]["details"];
    assert_eq!(details["expectedAmount"], FLOW_SATS.to_string(), "{view}");
    assert_eq!(details["receivedAmount"], "10000", "{view}");
    assert_eq!(details["depositAddress"], address.as_str());

    // The rest arriving after the failure is recorded for a refund, not counted.
    w.send(&address, 40_000).await;
    w.mine_and_step(2).await;
    let view = w.view(&flow).await;
    assert_eq!(states(&view).0, "failed");
    assert_eq!(view["deposits"][1]["reason"], "flow_final", "{view}");
}

async fn another_instance_takes_the_scan_over_without_gap_or_double_count(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    w.node.funded_payer("bech32").await;
    w.step_to_idle().await;
    let (flow, address) = deposit_flow(&w, json!({})).await;
    w.send(&address, 20_000).await;
    w.mine_and_step(2).await;
    // This instance stops cleanly; the other one scans from where it stopped.
    w.watcher.release().await;
    let other = second_instance(&w.app).await;
    w.send(&address, 30_000).await;
    w.mine(2).await;
    w.step(&other).await;
    w.step(&other).await;
    let view = w.view(&flow).await;
    assert_eq!(states(&view).1, "completed", "{view}");
    let deposits = view["deposits"].as_array().unwrap();
    assert_eq!(deposits.len(), 2, "each once: {view}");
    assert_eq!(w.deposit_events(&flow).await.len(), 2);
}

/// How many open flows the large run has (the benchmark sets 10,000).
fn many_flows() -> usize {
    std::env::var("SLUICE_DEPOSIT_FLOWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// Opens `n` deposit flows, pays the first and the last, mines 20 blocks and returns the
/// node calls of the watcher's steps by method.
async fn calls_for_twenty_blocks(
    w: &BitcoinWorld,
    n: usize,
) -> std::collections::BTreeMap<String, u64> {
    w.node.funded_payer("bech32").await;
    w.step_to_idle().await;
    let mut flows = Vec::with_capacity(n);
    for _ in 0..n {
        flows.push(deposit_flow(w, json!({})).await);
    }
    w.step_to_idle().await;
    w.send(&flows[0].1, FLOW_SATS).await;
    w.send(&flows[n - 1].1, FLOW_SATS).await;
    w.mine(20).await;
    w.proxy.reset();
    w.step_to_idle().await;
    for (flow, _) in [&flows[0], &flows[n - 1]] {
        let view = w.view(flow).await;
        assert_eq!(states(&view).1, "completed", "matched among {n}: {view}");
    }
    w.proxy.counts()
}

async fn node_calls_per_block_do_not_grow_with_open_flows(backend: Backend) {
    let (Some(few), Some(many)) = (
        BitcoinWorld::start(backend).await,
        BitcoinWorld::start(backend).await,
    ) else {
        return;
    };
    let n = many_flows();
    let few_calls = calls_for_twenty_blocks(&few, 10).await;
    let many_calls = calls_for_twenty_blocks(&many, n).await;
    eprintln!(
        "Bitcoin watcher RPC calls for 20 blocks: 10 open flows {few_calls:?}; {n} open flows {many_calls:?}"
    );
    assert_eq!(few_calls, many_calls, "10 vs {n} open flows");
    let blocks = few_calls.get("getblock").copied().unwrap_or_default();
    assert_eq!(blocks, 20, "each block read once: {few_calls:?}");
}

async fn a_key_of_another_network_is_refused_before_an_address_is_handed_out(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    // A mainnet key (xpub) for the regtest chain: its bc1 addresses would never be matched.
    let key = ExtendedPublicKey::parse(common::deposit::V1_M_0H).unwrap();
    let record = sluice_store::DepositKeyRecord {
        environment_id: w.app.env_id,
        family: ChainFamily::Btc,
        xpub: key.to_base58(),
        fingerprint: key.fingerprint(),
        next_index: 0,
        updated_at: common::START,
    };
    w.app.store.set_deposit_key(&record).await.unwrap();
    let flow = w.create_flow(json!({})).await;
    let source =
        json!({"sourceType": "deposit_address", "fromChainId": "regtest", "fromChainName": "BTC"});
    let attached = w.app.attach(&flow, &source).await;
    let session = attached.body["sessionToken"].as_str().unwrap();
    let quote = json!({"fromTokenAddress": "bitcoin", "fromChainId": "regtest"});
    let refused = w.payer(&flow, session, "/quote", &quote).await;
    let body = refused.assert_error(422, "chain_not_configured");
    assert!(
        body["error"].as_str().unwrap().contains("another network"),
        "{body}"
    );
    let view = w.view(&flow).await;
    assert!(
        view.get("depositAddress").is_none(),
        "no address handed out: {view}"
    );
}

async fn exchange_purchases_are_not_offered_on_bitcoin(backend: Backend) {
    let secret = p256::SecretKey::from_slice(&[5; 32]).unwrap();
    let double = common::coinbase_double::CoinbaseDouble::start("cdp-key", &secret).await;
    let coinbase = format!("[coinbase]\napi_url = \"{}\"", double.url);
    let Some(w) = BitcoinWorld::start_with(backend, &coinbase).await else {
        return;
    };
    common::coinbase_double::configure_coinbase(&w.app, "cdp-key", &secret).await;
    let flow = w.create_flow(json!({})).await;
    let listed = w
        .app
        .payer(reqwest::Method::GET, &flow, "/exchanges", None, None)
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.body["exchanges"],
        json!([]),
        "a BTC-only flow lists no exchange"
    );
    // Attached anyway, the quote refuses before handing out a deposit address.
    let source = json!({"sourceType": "exchange", "exchangeProvider": "coinbase"});
    let attached = w.app.attach(&flow, &source).await;
    let session = attached.body["sessionToken"].as_str().unwrap();
    let quote = json!({"fromTokenAddress": "bitcoin", "fromChainId": "regtest"});
    let refused = w.payer(&flow, session, "/quote", &quote).await;
    refused.assert_error(422, "exchange_not_configured");
    let view = w.view(&flow).await;
    assert!(
        view.get("depositAddress").is_none(),
        "no address handed out: {view}"
    );
}
