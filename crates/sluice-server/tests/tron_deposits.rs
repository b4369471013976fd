//! TRON deposit addresses against the FullNode double (spec §10.2, §9): flow *i* gets `0/i` of
//! the environment's TRON key (as TRON's SDK derives it), each block is read with two calls
//! whatever is watched, TRX transfers and USDT `Transfer` logs to the flows' addresses are
//! counted by the amount rules (exact, split, under at expiry, late), and another instance
//! takes the scan over without gap or double count.

mod common;

use common::Backend;
use common::deposit_world::{second_instance, states};
use common::tron_sdk::oracle;
use common::tron_world::{FLOW_SUN, PAYER_KEY, TronWorld};
use serde_json::json;
use sluice_chain::tron::{Contract, TRX_TOKEN, TronAddress};

const MNEMONIC: &str =
    "legal winner thank year wave sausage worth useful legal winner thank yellow";

both_backends!(
    deposits_follow_the_amount_rules,
    another_instance_takes_the_scan_over_and_calls_do_not_grow_with_flows,
);

/// A world whose environment holds the SDK's TRON account key; the SDK's first addresses.
async fn world(backend: Backend) -> Option<(TronWorld, Vec<String>)> {
    let sdk = oracle(json!({"op": "addresses", "mnemonic": MNEMONIC, "count": 3}))?;
    let w = TronWorld::start(backend).await?;
    w.set_deposit_key(sdk["xpub"].as_str().unwrap()).await;
    let addresses = sdk["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    Some((w, addresses))
}

/// Sends from the payer to `to`: TRX (`token` None) or USDT, signed with the SDK.
async fn send(w: &TronWorld, to: &str, token: Option<TronAddress>, amount: u128) {
    let to = TronAddress::parse(to).unwrap();
    let contract = match token {
        None => Contract::Transfer {
            owner: w.payer,
            to,
            amount: amount as i64,
        },
        Some(contract) => Contract::Trigger {
            owner: w.payer,
            contract,
            data: sluice_chain::tron::chain::transfer_data(&to, amount),
        },
    };
    let fee_limit = token.map(|_| 100_000_000);
    let hex = w.own_transaction(contract, fee_limit, 60_000).await;
    let sent = w.sign_and_broadcast(&hex, &PAYER_KEY).await;
    assert_eq!(sent["result"], true, "{sent}");
}

async fn deposits_follow_the_amount_rules(backend: Backend) {
    let Some((w, sdk)) = world(backend).await else {
        return;
    };
    let usdt = w.usdt.to_string();
    let (exact, exact_address) = w.deposit_flow(TRX_TOKEN, json!({})).await;
    let (split, split_address) = w.deposit_flow(&usdt, json!({})).await;
    let (short, short_address) = w.deposit_flow(&usdt, json!({"expiresIn": 600})).await;
    assert_eq!(
        [&exact_address, &split_address, &short_address],
        [&sdk[0], &sdk[1], &sdk[2]],
        "the SDK's derivation"
    );

    send(&w, &exact_address, None, FLOW_SUN).await;
    send(&w, &split_address, Some(w.usdt), 10_000_000).await;
    send(&w, &short_address, Some(w.usdt), 5_000_000).await;
    w.mine_and_step(1).await;
    assert_eq!(states(&w.view(&exact).await).0, "source_detected");
    w.mine_and_step(1).await;
    let view = w.view(&exact).await;
    assert_eq!(states(&view).1, "completed", "{view}");
    assert_eq!(view["deposits"][0]["tokenAddress"], TRX_TOKEN);
    assert_eq!(states(&w.view(&split).await).1, "none", "10 of 25 USDT");

    send(&w, &split_address, Some(w.usdt), 15_000_000).await;
    w.mine_and_step(2).await;
    let view = w.view(&split).await;
    assert_eq!(states(&view).1, "completed", "{view}");
    assert_eq!(view["deposits"].as_array().unwrap().len(), 2);

    // Late: recorded, not counted.
    send(&w, &split_address, Some(w.usdt), 1_000_000).await;
    w.mine_and_step(2).await;
    let view = w.view(&split).await;
    assert_eq!(view["deposits"][2]["counted"], false, "{view}");

    w.app.clock.advance_seconds(600);
    w.step_to_idle().await;
    let view = w.view(&short).await;
    assert_eq!(states(&view).0, "failed", "{view}");
    assert_eq!(view["failure"]["code"], "underpaid");
    assert_eq!(view["failure"]["details"]["receivedAmount"], "5000000");
}

async fn another_instance_takes_the_scan_over_and_calls_do_not_grow_with_flows(backend: Backend) {
    let Some((w, _)) = world(backend).await else {
        return;
    };
    let usdt = w.usdt.to_string();
    let (flow, address) = w.deposit_flow(&usdt, json!({})).await;
    send(&w, &address, Some(w.usdt), 10_000_000).await;
    w.mine_and_step(2).await;
    w.watcher.release().await;
    let other = second_instance(&w.app).await;
    send(&w, &address, Some(w.usdt), 15_000_000).await;
    w.node.mine(2).await;
    w.step(&other).await;
    let view = w.view(&flow).await;
    assert_eq!(states(&view).1, "completed", "{view}");
    assert_eq!(
        view["deposits"].as_array().unwrap().len(),
        2,
        "each once: {view}"
    );

    // Node calls for 10 blocks, with 10 and with many more open flows (the benchmark: 10,000).
    let many: usize = std::env::var("SLUICE_DEPOSIT_FLOWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut counts = Vec::new();
    for more in [10, many] {
        for _ in 0..more {
            w.deposit_flow(&usdt, json!({})).await;
        }
        w.step(&other).await;
        w.node.mine(10).await;
        w.node.reset_calls();
        w.step(&other).await;
        counts.push(w.node.calls());
    }
    eprintln!(
        "TRON watcher RPC calls for 10 blocks: 11 open flows {:?}; {} open flows {:?}",
        counts[0],
        11 + many,
        counts[1]
    );
    assert_eq!(counts[0], counts[1], "calls do not grow with open flows");
    assert_eq!(counts[0].get("getblockbynum"), Some(&10), "{counts:?}");
    assert_eq!(
        counts[0].get("gettransactioninfobyblocknum"),
        Some(&10),
        "{counts:?}"
    );
}
