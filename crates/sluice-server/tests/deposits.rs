//! Deposit-address payments on a real chain (anvil), on SQLite and PostgreSQL: addresses from
//! a key whose first addresses are published accounts; exact, split, over- and under-paid
//! deposits in the test ERC-20 and the native token; late and wrong-token transfers recorded
//! and announced but never counted (spec §9).

mod common;

use common::deposit::PUBLISHED_ACCOUNTS;
use common::deposit_world::*;
use common::evm::NATIVE;
use common::*;
use serde_json::json;

both_backends!(
    split_erc20_deposits_add_up_and_late_ones_are_recorded,
    native_overpayment_completes_and_records_the_excess,
    underpaid_flows_fail_at_expiry_with_both_amounts,
    wrong_token_transfers_are_recorded_not_counted,
    deposit_mode_takes_the_payers_amount,
);

async fn split_erc20_deposits_add_up_and_late_ones_are_recorded(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let flow = w.quoted_flow(&w.usdc, json!({})).await;
    assert_eq!(flow.address, PUBLISHED_ACCOUNTS[0], "flow 0 gets child 0/0");
    assert_eq!(flow.to_amount, 25_000_000);

    let first = w.send_usdc(&flow.address, 10_000_000).await;
    assert!(w.step_to_idle().await > 0);
    let view = w.view(&flow.id).await;
    assert_eq!(states(&view), ("source_detected".into(), "none".into()));
    assert_eq!(
        view["txHash"],
        first.as_str(),
        "detected at once, before confirmations"
    );
    assert!(
        w.deposit_events(&flow.id).await.is_empty(),
        "announced only when confirmed"
    );

    let second = w.send_usdc(&flow.address, 15_000_000).await;
    w.step_to_idle().await;
    let view = w.view(&flow.id).await;
    assert_eq!(
        view["deposits"].as_array().unwrap().len(),
        1,
        "first confirmed: {view}"
    );
    assert_eq!(states(&view).1, "none", "15 of 25 are still confirming");

    w.mine_and_step(1).await;
    let view = w.view(&flow.id).await;
    assert_eq!(
        states(&view),
        ("source_confirmed".into(), "completed".into())
    );
    assert_eq!(view["settlementTxHash"], second.as_str());
    assert_eq!(view["settlement"]["toAddress"], flow.address.as_str());
    assert!(view["settlement"].get("excessAmount").is_none());
    let events = w.deposit_events(&flow.id).await;
    let amounts: Vec<_> = events
        .iter()
        .map(|e| (e["amount"].clone(), e["counted"].clone()))
        .collect();
    assert_eq!(
        amounts,
        [
            (json!("10000000"), json!(true)),
            (json!("15000000"), json!(true))
        ]
    );
    assert_eq!(events[0]["txHash"], first.as_str());
    assert!(events[0]["logIndex"].is_u64());

    // A late transfer: recorded on the flow, announced as not counted, the flow unchanged.
    let late = w.send_usdc(&flow.address, 1_000_000).await;
    w.mine_and_step(1).await;
    let view = w.view(&flow.id).await;
    assert_eq!(
        states(&view),
        ("source_confirmed".into(), "completed".into())
    );
    let recorded = &view["deposits"][2];
    assert_eq!(
        (
            recorded["txHash"].as_str(),
            recorded["counted"].as_bool(),
            recorded["reason"].as_str()
        ),
        (Some(late.as_str()), Some(false), Some("flow_settled"))
    );
    let events = w.deposit_events(&flow.id).await;
    assert_eq!(events.len(), 3);
    assert_eq!(
        (events[2]["counted"].as_bool(), events[2]["reason"].as_str()),
        (Some(false), Some("flow_settled"))
    );

    // Stepping again finds nothing new and counts nothing twice.
    w.mine_and_step(3).await;
    assert_eq!(w.deposit_events(&flow.id).await.len(), 3);

    // The operator's list shows what the address received, and how much of it counted.
    let env = w.app.env_id.to_string();
    let args = ["env", "deposit-addresses", "--env", &env];
    let (ok, out, err) = common::binary::sluice(&w.app.db.url, &args).await;
    assert!(ok, "{err}");
    let line: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        line["received"],
        json!([{"chainId": "31337", "tokenAddress": w.usdc.to_ascii_lowercase(),
                "amount": "26000000", "countedAmount": "25000000", "transfers": 3}])
    );
}

async fn native_overpayment_completes_and_records_the_excess(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let flow = w.quoted_flow(NATIVE, json!({})).await;
    assert_eq!(
        flow.to_amount, 10_000_000_000_000_000,
        "25 USD at 2500 USD/ETH"
    );
    let paid = w.send_native(&flow.address, 15_000_000_000_000_000).await;
    w.mine_and_step(1).await;
    let view = w.view(&flow.id).await;
    assert_eq!(
        states(&view),
        ("source_confirmed".into(), "completed".into())
    );
    assert_eq!(view["settlement"]["excessAmount"], "5000000000000000");
    assert_eq!(view["settlementTxHash"], paid.as_str());
    let events = w.deposit_events(&flow.id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["tokenAddress"], NATIVE);
    assert!(
        events[0].get("logIndex").is_none(),
        "a native transfer has no log"
    );
}

async fn underpaid_flows_fail_at_expiry_with_both_amounts(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let flow = w.quoted_flow(&w.usdc, json!({"expiresIn": 600})).await;
    w.send_usdc(&flow.address, 20_000_000).await;
    w.mine_and_step(1).await;
    assert_eq!(
        states(&w.view(&flow.id).await),
        ("source_detected".into(), "none".into())
    );

    w.app.clock.advance_seconds(599);
    w.step_to_idle().await;
    assert_eq!(
        states(&w.view(&flow.id).await).0,
        "source_detected",
        "not yet expired"
    );
    w.app.clock.advance_seconds(1);
    w.step_to_idle().await;
    let view = w.view(&flow.id).await;
    assert_eq!(states(&view), ("failed".into(), "none".into()));
    assert_eq!(view["failure"]["code"], "underpaid");
    assert_eq!(view["failure"]["details"]["expectedAmount"], "25000000");
    assert_eq!(view["failure"]["details"]["receivedAmount"], "20000000");
    assert_eq!(
        view["failure"]["details"]["depositAddress"],
        flow.address.as_str()
    );

    // The rest arriving after the failure is recorded for a refund, not counted.
    w.send_usdc(&flow.address, 5_000_000).await;
    w.mine_and_step(1).await;
    let view = w.view(&flow.id).await;
    assert_eq!(states(&view).0, "failed");
    assert_eq!(view["deposits"][1]["reason"], "flow_final");
}

async fn wrong_token_transfers_are_recorded_not_counted(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let flow = w.quoted_flow(&w.usdc, json!({})).await;
    // Native ETH to a flow that settles in USDC: not detection, not payment.
    w.send_native(&flow.address, 1_000_000_000_000_000_000)
        .await;
    w.mine_and_step(1).await;
    let view = w.view(&flow.id).await;
    assert_eq!(states(&view), ("quoted".into(), "none".into()));
    assert_eq!(view["deposits"][0]["reason"], "wrong_token");
    assert!(view.get("txHash").is_none());
    let events = w.deposit_events(&flow.id).await;
    assert_eq!(
        (events.len(), events[0]["counted"].as_bool()),
        (1, Some(false))
    );
    // The right token still pays it.
    w.send_usdc(&flow.address, 25_000_000).await;
    w.mine_and_step(1).await;
    assert_eq!(states(&w.view(&flow.id).await).1, "completed");
}

/// A `deposit`-mode flow paid to a deposit address: the payer's amount at quote (at least
/// `depositConfig.minimum`) is what must arrive.
async fn deposit_mode_takes_the_payers_amount(backend: Backend) {
    let Some(w) = DepositWorld::start(backend).await else {
        return;
    };
    let body = json!({"amount": "25.00", "currency": "USD", "pegStablecoins": true, "depositConfig": {"minimum": "10"},
        "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": "31337", "tokenAddress": w.usdc, "symbol": "USDC", "tokenDecimals": 6}]},
        "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": common::evm::MERCHANT}]}});
    let created = w
        .app
        .server(reqwest::Method::POST, "/flow/deposit", Some(&body))
        .await;
    let id = created.body["flow"]["id"].as_str().unwrap().to_owned();
    let source =
        json!({"sourceType": "deposit_address", "fromChainId": "31337", "fromChainName": "EVM"});
    let attached = w.app.attach(&id, &source).await;
    let session = attached.body["sessionToken"].as_str().unwrap().to_owned();
    let quote = |amount: &'static str| {
        let (w, id, session) = (&w, id.clone(), session.clone());
        async move {
            let body =
                json!({"fromChainId": "31337", "fromTokenAddress": w.usdc, "amount": amount});
            w.app
                .payer(
                    reqwest::Method::POST,
                    &id,
                    "/quote",
                    Some(&session),
                    Some(&body),
                )
                .await
        }
    };
    quote("9.99").await.assert_error(422, "validation_failed");
    assert!(
        w.app.stored_flow(&id).await.deposit_address.is_none(),
        "a refused quote allocates nothing"
    );
    let quoted = quote("12.5").await;
    assert_eq!(
        quoted.body["quote"]["toAmount"], "12500000",
        "{}",
        quoted.body
    );
    let address = quoted.body["depositAddress"].as_str().unwrap().to_owned();
    w.send_usdc(&address, 12_500_000).await;
    w.mine_and_step(1).await;
    assert_eq!(states(&w.view(&id).await).1, "completed");
}
