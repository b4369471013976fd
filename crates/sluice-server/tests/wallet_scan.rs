//! Wallet payments found by the chain watcher's block scan, on a real chain (anvil) and both
//! backends: no payment waits behind others however many are pending; the node calls per
//! block do not grow with open payments (counted by a proxy in front of anvil); a
//! transaction mined before it was reported is still found; one transaction settles one flow
//! only; another instance takes over a sighted payment.

mod common;

use common::deposit_world::*;
use common::*;
use sluice_server::workers::Step;

both_backends!(
    no_payment_starves_behind_never_landing_ones,
    rpc_calls_per_block_do_not_grow_with_open_payments,
    a_transaction_mined_before_it_was_reported_is_found,
    one_transaction_settles_one_flow_only,
    another_instance_takes_over_a_sighted_payment,
);

/// How many open payments the large run has (the benchmark sets 10,000).
fn many_payments() -> usize {
    std::env::var("SLUICE_WALLET_PAYMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

async fn count_in(w: &DepositWorld, state: &str) -> i64 {
    let counts = w.app.store.count_flows_by_state().await.unwrap();
    counts
        .into_iter()
        .find(|(s, _)| s == state)
        .map_or(0, |(_, n)| n)
}

async fn no_payment_starves_behind_never_landing_ones(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    w.never_landing_payments(150).await;
    w.step_to_idle().await;
    let real = w.prepared_payment().await;
    w.pay(&real).await;
    // Confirmations = 2: the transaction's block and one more.
    w.mine_and_step(1).await;
    let view = w.view(&real.flow).await;
    assert_eq!(
        states(&view),
        ("source_confirmed".into(), "completed".into()),
        "judged one block after it landed, beside 150 pending payments: {view}"
    );
    assert_eq!(count_in(&w, "broadcasted").await, 150);
    // Their window passes: every one of them fails in the same pass, none left behind.
    w.app.clock.advance_seconds(600);
    w.step_to_idle().await;
    assert_eq!(count_in(&w, "failed").await, 150);
    assert_eq!(count_in(&w, "broadcasted").await, 0);
}

/// Opens `n` never-landing payments and two real ones, then pays the real ones in 20 new
/// blocks and returns the node calls made while the watcher judged them.
async fn calls_for_twenty_blocks(
    w: &DepositWorld,
    n: usize,
) -> std::collections::BTreeMap<String, u64> {
    w.never_landing_payments(n).await;
    let (first, second) = (w.prepared_payment().await, w.prepared_payment().await);
    w.step_to_idle().await;
    w.proxy.reset();
    w.pay(&first).await;
    w.chain.mine(9).await;
    // The second pays after the first's nonce: prepare read the same pending nonce for both.
    let mut evm = second.evm.clone();
    evm["nonce"] = (first.evm["nonce"].as_u64().unwrap() + 1).into();
    let second = common::wallet::WalletPayment { evm, ..second };
    w.pay(&second).await;
    w.chain.mine(9).await;
    w.step_to_idle().await;
    for payment in [&first, &second] {
        let view = w.view(&payment.flow).await;
        assert_eq!(states(&view).1, "completed", "found among {n}: {view}");
    }
    w.proxy.counts()
}

async fn rpc_calls_per_block_do_not_grow_with_open_payments(backend: Backend) {
    let (Some(few), Some(many)) = (
        DepositWorld::start(backend).await,
        DepositWorld::start(backend).await,
    ) else {
        return;
    };
    let n = many_payments();
    let few_calls = calls_for_twenty_blocks(&few, 10).await;
    let many_calls = calls_for_twenty_blocks(&many, n).await;
    eprintln!(
        "chain watcher RPC calls for 20 blocks with 2 wallet payments: 10 open payments {few_calls:?}; {n} open payments {many_calls:?}"
    );
    assert_eq!(few_calls, many_calls, "10 vs {n} open payments");
    let receipts = few_calls.get("eth_getTransactionReceipt").copied();
    assert!(
        receipts <= Some(4),
        "receipts only for the two payments that landed: {few_calls:?}"
    );
    let total: u64 = few_calls.values().sum();
    assert!(total <= 20 + 12, "about one call per block: {few_calls:?}");
}

async fn a_transaction_mined_before_it_was_reported_is_found(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let payment = w.prepared_payment().await;
    let hash = w
        .chain
        .send_raw(&evm::sign(
            &evm::Tx::from_payload(&payment.evm),
            evm::PAYER_KEY,
        ))
        .await;
    w.mine_and_step(1).await; // the scan reads the block before anyone reported the hash
    w.broadcast(&payment, &hash).await;
    w.step_to_idle().await;
    let view = w.view(&payment.flow).await;
    assert_eq!(
        states(&view),
        ("source_confirmed".into(), "completed".into()),
        "{view}"
    );
    assert_eq!(view["settlementTxHash"], hash.as_str());
}

async fn one_transaction_settles_one_flow_only(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    // Two flows that expect the very same transfer; the payer pays once, reports it twice.
    let first = w.prepared_payment().await;
    let second = w.prepared_payment().await;
    let hash = w.pay(&first).await;
    // A second later (the earlier report claims the transaction; see chain_watch/payments.rs).
    w.app.clock.advance_seconds(1);
    w.broadcast(&second, &hash).await;
    w.mine_and_step(2).await;
    assert_eq!(states(&w.view(&first.flow).await).1, "completed");
    let view = w.view(&second.flow).await;
    assert_eq!(states(&view), ("broadcasted".into(), "none".into()));
    // Long after the first flow settled, a third flow reports the same transaction.
    let third = w.prepared_payment().await;
    w.broadcast(&third, &hash).await;
    w.mine_and_step(2).await;
    assert_eq!(
        states(&w.view(&third.flow).await),
        ("broadcasted".into(), "none".into())
    );
    w.app.clock.advance_seconds(600);
    w.step_to_idle().await;
    for late in [&second, &third] {
        let view = w.view(&late.flow).await;
        assert_eq!(
            (
                view["executionState"].as_str(),
                view["failure"]["code"].as_str()
            ),
            (Some("failed"), Some("tx_not_found")),
            "{view}"
        );
    }
    assert_eq!(states(&w.view(&first.flow).await).1, "completed");
}

async fn another_instance_takes_over_a_sighted_payment(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let payment = w.prepared_payment().await;
    w.pay(&payment).await;
    w.step_to_idle().await; // sighted, one confirmation of two
    let other = w.second_instance().await;
    assert_eq!(
        other.run_once().await.unwrap(),
        Step::Idle,
        "the lease is held"
    );
    // The first instance stops; the chain moves on; the lease runs out.
    w.chain.mine(3).await;
    w.app.clock.advance_seconds(15);
    let report = other.step().await.unwrap();
    assert_eq!(report.verdicts, 1, "{report:?}");
    assert_eq!(states(&w.view(&payment.flow).await).1, "completed");
    assert_eq!(w.watcher.run_once().await.unwrap(), Step::Idle);
    let settled = w
        .app
        .event_types(&payment.flow)
        .await
        .into_iter()
        .filter(|t| t == "flow.settlement.updated")
        .count();
    assert_eq!(settled, 1, "one transition, one event");
}
