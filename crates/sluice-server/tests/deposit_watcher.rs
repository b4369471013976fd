//! The deposit watcher as a worker, on a real chain (anvil) and both backends: its RPC calls
//! per block do not depend on the number of open flows (counted by a proxy in front of
//! anvil); a reorg before the threshold is never counted and one after the scan is scanned
//! again; a restart or a handover to another instance neither skips nor repeats a block.

mod common;

use common::deposit_world::*;
use common::*;
use serde_json::json;
use sluice_server::workers::Step;

both_backends!(
    rpc_calls_per_block_do_not_grow_with_open_flows,
    a_reorg_before_the_threshold_is_never_counted,
    a_reorg_the_scan_had_passed_is_scanned_again,
    another_instance_takes_over_without_gap_or_double_count,
    a_clean_shutdown_hands_the_lease_over_at_once,
);

/// How many open flows the large run has (the benchmark sets 10,000).
fn many_flows() -> usize {
    std::env::var("SLUICE_DEPOSIT_FLOWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// Opens `n` quoted deposit flows.
async fn open_flows(w: &DepositWorld, n: usize) -> Vec<DepositFlow> {
    let mut flows = Vec::with_capacity(n);
    for _ in 0..n {
        flows.push(w.quoted_flow(&w.usdc, json!({})).await);
    }
    flows
}

/// Scans 20 new blocks, two of them with a deposit, and returns the RPC calls by method.
async fn calls_for_twenty_blocks(
    w: &DepositWorld,
    flows: &[DepositFlow],
) -> std::collections::BTreeMap<String, u64> {
    w.step_to_idle().await;
    w.send_usdc(&flows[0].address, 1_000_000).await;
    w.send_usdc(&flows[flows.len() - 1].address, 1_000_000)
        .await;
    w.chain.mine(18).await;
    w.proxy.reset();
    w.step_to_idle().await;
    w.proxy.counts()
}

async fn rpc_calls_per_block_do_not_grow_with_open_flows(backend: Backend) {
    let (Some(few), Some(many)) = (
        DepositWorld::start(backend).await,
        DepositWorld::start(backend).await,
    ) else {
        return;
    };
    let n = many_flows();
    let few_flows = open_flows(&few, 10).await;
    let many_flows = open_flows(&many, n).await;
    let few_calls = calls_for_twenty_blocks(&few, &few_flows).await;
    let many_calls = calls_for_twenty_blocks(&many, &many_flows).await;
    eprintln!(
        "deposit watcher RPC calls for 20 blocks: 10 open flows {few_calls:?}; {n} open flows {many_calls:?}"
    );
    assert_eq!(few_calls, many_calls, "10 vs {n} open flows");
    assert_eq!(
        few_calls.get("eth_getLogs"),
        Some(&1),
        "one eth_getLogs for the range"
    );
    let total: u64 = few_calls.values().sum();
    assert!(total <= 20 + 6, "about one call per block: {few_calls:?}");
    for (w, flows) in [(&few, &few_flows), (&many, &many_flows)] {
        for flow in [&flows[0], &flows[flows.len() - 1]] {
            let view = w.view(&flow.id).await;
            assert_eq!(
                states(&view).0,
                "source_detected",
                "matched among {}",
                flows.len()
            );
        }
    }
}

async fn a_reorg_before_the_threshold_is_never_counted(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let flow = w.quoted_flow(&w.usdc, json!({})).await;
    w.send_usdc(&flow.address, 25_000_000).await;
    w.step_to_idle().await;
    assert_eq!(states(&w.view(&flow.id).await).0, "source_detected");
    // The block with the transfer is replaced before its second confirmation; anvil drops
    // the transaction.
    w.chain.call("anvil_reorg", json!([1, []])).await;
    w.mine_and_step(3).await;
    let view = w.view(&flow.id).await;
    assert_eq!(states(&view), ("source_detected".into(), "none".into()));
    assert!(view.get("deposits").is_none(), "nothing counted: {view}");
    assert!(w.deposit_events(&flow.id).await.is_empty());
    // Paid again on the canonical chain, it completes.
    w.send_usdc(&flow.address, 25_000_000).await;
    w.mine_and_step(1).await;
    let view = w.view(&flow.id).await;
    assert_eq!(states(&view).1, "completed");
    assert_eq!(view["deposits"].as_array().unwrap().len(), 1);
}

async fn a_reorg_the_scan_had_passed_is_scanned_again(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let flow = w.quoted_flow(&w.usdc, json!({})).await;
    w.mine_and_step(2).await;
    // The last two blocks, already scanned (empty), are replaced by two that pay the flow.
    let data = sluice_chain::erc20::transfer_calldata(&flow.address, 25_000_000);
    let tx = json!({"from": common::evm::PAYER, "to": w.usdc, "data": data, "gas": "0x30000"});
    w.chain.call("anvil_reorg", json!([2, [[tx, 1]]])).await;
    w.mine_and_step(2).await;
    let view = w.view(&flow.id).await;
    assert_eq!(
        states(&view),
        ("source_confirmed".into(), "completed".into()),
        "{view}"
    );
}

async fn another_instance_takes_over_without_gap_or_double_count(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let flow = w.quoted_flow(&w.usdc, json!({})).await;
    let first = w.send_usdc(&flow.address, 10_000_000).await;
    w.step_to_idle().await; // seen, not yet confirmed
    let other = w.second_instance().await;
    assert_eq!(
        other.run_once().await.unwrap(),
        Step::Idle,
        "the lease is held"
    );

    // The first instance stops (crash); blocks arrive while nobody scans.
    let second = w.send_usdc(&flow.address, 15_000_000).await;
    w.chain.mine(4).await;
    w.app.clock.advance_seconds(14);
    assert_eq!(
        other.run_once().await.unwrap(),
        Step::Idle,
        "lease not yet expired"
    );
    w.app.clock.advance_seconds(1);
    assert!(w.step(&other).await > 0, "the other instance takes over");
    let view = w.view(&flow.id).await;
    assert_eq!(
        states(&view),
        ("source_confirmed".into(), "completed".into())
    );
    let hashes: Vec<_> = view["deposits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["txHash"].clone())
        .collect();
    assert_eq!(hashes, [json!(first), json!(second)], "each transfer once");
    // The old instance comes back: it does not hold the lease, and nothing is counted twice.
    assert_eq!(w.watcher.run_once().await.unwrap(), Step::Idle);
    w.chain.mine(2).await;
    w.step(&other).await;
    assert_eq!(w.deposit_events(&flow.id).await.len(), 2);
}

/// A server that stops cleanly gives the chain watcher's lease up, so the next instance (or
/// the next start) scans at once rather than after `lease_secs`.
async fn a_clean_shutdown_hands_the_lease_over_at_once(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let flow = w.quoted_flow(&w.usdc, json!({})).await;
    w.step_to_idle().await;
    let other = w.second_instance().await;
    assert_eq!(
        other.run_once().await.unwrap(),
        Step::Idle,
        "the lease is held"
    );
    w.watcher.release().await;
    let sent = w.send_usdc(&flow.address, 25_000_000).await;
    assert!(w.step(&other).await > 0, "taken over with no clock advance");
    w.chain.mine(1).await;
    w.step(&other).await;
    let view = w.view(&flow.id).await;
    assert_eq!(view["deposits"][0]["txHash"], json!(sent), "{view}");
    assert_eq!(
        w.watcher.run_once().await.unwrap(),
        Step::Idle,
        "the released instance does not take it back while it is held"
    );
}
