//! Bitcoin wallet payments end to end on a real regtest node (spec §10.1): attach a BTC wallet,
//! quote in satoshis, P6's PSBT signed by the node's wallet and broadcast, P7's txid, and the
//! chain watcher's verdict after `confirmations` blocks: exact, short, to another address,
//! reorged away, and a wallet without coins refused at prepare.

mod common;

use common::Backend;
use common::bitcoin_world::{BitcoinWorld, FLOW_SATS, for_sluice, program_address};
use common::deposit_world::states;
use serde_json::{Value, json};

both_backends!(
    a_wallet_payment_settles_after_its_confirmations,
    a_short_payment_fails_as_underpaid,
    a_payment_to_another_address_fails_as_wrong_recipient,
    a_payment_reorged_away_is_checked_again,
    a_wallet_without_coins_is_refused_at_prepare,
    a_node_of_another_network_is_never_quoted_on,
    a_txid_no_block_ever_holds_fails_as_not_found,
    a_payment_waiting_in_the_mempool_never_fails_as_not_found,
    a_node_without_a_transaction_index_is_not_used,
);

/// A BTC flow attached to the node's funded payer wallet and quoted.
struct Quoted {
    flow: String,
    session: String,
    quote: Value,
}

async fn quoted(w: &BitcoinWorld, payer: &str) -> Quoted {
    let flow = w.create_flow(json!({})).await;
    let source = json!({"sourceType": "wallet", "fromAddress": payer, "fromChainId": "regtest", "fromChainName": "BTC"});
    let (session, quoted) = w.attach_and_quote(&flow, &source).await;
    Quoted {
        flow,
        session,
        quote: quoted["quote"].clone(),
    }
}

async fn funded_payer(w: &BitcoinWorld) -> String {
    for_sluice(&w.node.funded_payer("bech32").await)
}

/// A funded payer's flow, prepared, its PSBT signed by the node's wallet, broadcast and reported.
async fn paid_as_prepared(w: &BitcoinWorld) -> Quoted {
    let payer = funded_payer(w).await;
    let q = quoted(w, &payer).await;
    let prepared = w
        .pay_step(&q.flow, &q.session, "/prepare", &json!({}))
        .await;
    let psbt = prepared["quote"]["signingPayload"]["psbt"]
        .as_str()
        .unwrap();
    let txid = w.sign_and_send(psbt).await;
    broadcast(w, &q, &txid).await;
    q
}

async fn broadcast(w: &BitcoinWorld, q: &Quoted, txid: &str) {
    let reply = w
        .pay_step(&q.flow, &q.session, "/broadcast", &json!({"txHash": txid}))
        .await;
    assert_eq!(reply["executionState"], "broadcasted");
}

async fn a_wallet_payment_settles_after_its_confirmations(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    let payer = funded_payer(&w).await;
    let q = quoted(&w, &payer).await;
    assert_eq!(q.quote["toAmount"], FLOW_SATS.to_string(), "{}", q.quote);
    assert_eq!(q.quote["toTokenInfo"]["decimals"], 8);
    assert_eq!(q.quote["fees"]["gasEstimate"]["nativeSymbol"], "BTC");
    let body = json!({"assertBalanceForTransferAmount": true, "assertBalanceForGasCost": true});
    let prepared = w.pay_step(&q.flow, &q.session, "/prepare", &body).await;
    let payload = &prepared["quote"]["signingPayload"];
    assert_eq!(payload["chainName"], "BTC");
    assert_eq!(payload["chainId"], "regtest");
    let psbt = payload["psbt"].as_str().expect("a PSBT");
    let decoded = w.rpc("decodepsbt", json!([psbt])).await;
    let outputs = decoded["tx"]["vout"].as_array().unwrap();
    assert!(
        outputs.iter().any(|o| o["value"] == json!(0.0005)
            && o["scriptPubKey"]["hex"] == format!("0014{}", "11".repeat(20))),
        "exactly the quote to the merchant: {decoded}"
    );
    let txid = w.sign_and_send(psbt).await;
    // An uppercase txid is the same transaction.
    broadcast(&w, &q, &txid.to_ascii_uppercase()).await;
    w.mine_and_step(1).await;
    assert_eq!(
        states(&w.view(&q.flow).await).1,
        "none",
        "one confirmation of two"
    );
    w.mine_and_step(1).await;
    let view = w.view(&q.flow).await;
    assert_eq!(
        states(&view),
        ("source_confirmed".into(), "completed".into()),
        "{view}"
    );
    assert_eq!(view["settlement"]["toChainId"], "regtest");
    assert_eq!(view["settlement"]["toAddress"], w.merchant);
}

/// Pays `sats` to `to` from the payer wallet outside Sluice's PSBT and reports it.
async fn pay_outside(w: &BitcoinWorld, to: &str, sats: u64) -> Value {
    let payer = funded_payer(w).await;
    let q = quoted(w, &payer).await;
    w.pay_step(&q.flow, &q.session, "/prepare", &json!({}))
        .await;
    let txid = w.send(to, sats).await;
    broadcast(w, &q, &txid).await;
    w.mine_and_step(2).await;
    w.view(&q.flow).await
}

async fn a_short_payment_fails_as_underpaid(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    let view = pay_outside(&w, &w.merchant, FLOW_SATS - 1).await;
    assert_eq!(states(&view).0, "failed", "{view}");
    assert_eq!(view["failure"]["code"], "underpaid", "{view}");
}

async fn a_payment_to_another_address_fails_as_wrong_recipient(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    let view = pay_outside(&w, &program_address(0x22), FLOW_SATS).await;
    assert_eq!(states(&view).0, "failed", "{view}");
    assert_eq!(view["failure"]["code"], "wrong_recipient", "{view}");
}

async fn a_payment_reorged_away_is_checked_again(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    let q = paid_as_prepared(&w).await;
    let mined = w.mine(1).await;
    w.step_to_idle().await;
    // The block holding the payment is replaced by two empty ones: the transaction is back in
    // the mempool, on no block of the best chain.
    w.rpc("invalidateblock", json!([mined[0]])).await;
    let to = common::litecoin::on_node(&program_address(0x33));
    for _ in 0..2 {
        w.rpc("generateblock", json!([to, []])).await;
    }
    w.step_to_idle().await;
    let view = w.view(&q.flow).await;
    assert_eq!(
        states(&view),
        ("broadcasted".into(), "none".into()),
        "never settled on a block that left the best chain: {view}"
    );
    // Mined again, it settles where it is now.
    w.mine_and_step(2).await;
    let view = w.view(&q.flow).await;
    assert_eq!(states(&view).1, "completed", "{view}");
}

async fn a_wallet_without_coins_is_refused_at_prepare(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    let q = quoted(&w, &program_address(0x44)).await;
    let body = json!({"assertBalanceForTransferAmount": true});
    let refused = w.payer(&q.flow, &q.session, "/prepare", &body).await;
    refused.assert_error(422, "insufficient_balance");
    assert_eq!(
        states(&w.view(&q.flow).await).0,
        "quoted",
        "nothing changed"
    );

    // A flow priced in BTC is quoted 1:1, without a price.
    let flow = w
        .create_flow(json!({"amount": "0.00123", "currency": "BTC"}))
        .await;
    let source = json!({"sourceType": "wallet", "fromAddress": program_address(0x44), "fromChainId": "regtest", "fromChainName": "BTC"});
    let (_, quoted) = w.attach_and_quote(&flow, &source).await;
    assert_eq!(quoted["quote"]["toAmount"], "123000");

    // A mainnet destination on the regtest chain: no wallet of this network would pay it.
    let mainnet = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
    let destinations =
        json!({"destinations": [{"chainName": "BTC", "type": "address", "identifier": mainnet}]});
    let flow = w
        .create_flow(json!({"destinationConfig": destinations}))
        .await;
    let attached = w.app.attach(&flow, &source).await;
    let session = attached.body["sessionToken"].as_str().unwrap();
    let quote = json!({"fromTokenAddress": "bitcoin", "fromChainId": "regtest"});
    let refused = w.payer(&flow, session, "/quote", &quote).await;
    let body = refused.assert_error(422, "no_route");
    let reason = body["payload"]["quoteFailures"][0]["reason"]
        .as_str()
        .unwrap();
    assert!(
        reason.contains("not an address of Bitcoin network regtest"),
        "{body}"
    );
}

async fn a_txid_no_block_ever_holds_fails_as_not_found(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    let payer = funded_payer(&w).await;
    let q = quoted(&w, &payer).await;
    w.pay_step(&q.flow, &q.session, "/prepare", &json!({}))
        .await;
    // A txid is 64 hex digits: an EVM hash is refused and changes nothing.
    let evm = json!({"txHash": format!("0x{}", "ab".repeat(32))});
    let refused = w.payer(&q.flow, &q.session, "/broadcast", &evm).await;
    refused.assert_error(422, "validation_failed");
    broadcast(&w, &q, &"ab".repeat(32)).await;
    w.mine_and_step(3).await;
    assert_eq!(states(&w.view(&q.flow).await).0, "broadcasted");
    w.app.clock.advance_seconds(600);
    w.step_to_idle().await;
    let view = w.view(&q.flow).await;
    assert_eq!(states(&view).0, "failed", "{view}");
    assert_eq!(view["failure"]["code"], "tx_not_found", "{view}");
}

async fn a_node_of_another_network_is_never_quoted_on(backend: Backend) {
    let Some(node) = common::litecoin::Node::start().await else {
        return;
    };
    // Configured as testnet, served by the regtest node.
    let mut config = common::bitcoin_world::bitcoin_config(&node.url, &node);
    config.chains[0].chain_id = "testnet".into();
    config.chains[0].network = Some(sluice_chain::bitcoin::BitcoinNetwork::Testnet);
    let Some(app) = common::TestApp::spawn_with(backend, config).await else {
        return;
    };
    let testnet =
        bech32::segwit::encode_v0(bech32::Hrp::parse("tb").unwrap(), &[0x11; 20]).unwrap();
    let flow = app
        .create_flow_with(json!({
            "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "BTC", "chainId": "testnet", "tokenAddress": "bitcoin", "symbol": "BTC", "tokenDecimals": 8}]},
            "destinationConfig": {"destinations": [{"chainName": "BTC", "type": "address", "identifier": testnet}]}
        }))
        .await;
    let flow = flow["id"].as_str().unwrap();
    let source = json!({"sourceType": "wallet", "fromAddress": testnet, "fromChainId": "testnet", "fromChainName": "BTC"});
    let attached = app.attach(flow, &source).await;
    let session = attached.body["sessionToken"].as_str().unwrap();
    let quote = json!({"fromTokenAddress": "bitcoin", "fromChainId": "testnet"});
    let reply = app
        .payer(
            reqwest::Method::POST,
            flow,
            "/quote",
            Some(session),
            Some(&quote),
        )
        .await;
    let body = reply.assert_error(502, "chain_unavailable");
    assert!(
        body["error"].as_str().unwrap().contains("network regtest"),
        "{body}"
    );
    let ready = app.readyz().await;
    assert!(
        ready.contains("chain BTC testnet: wrong network: the node reports network regtest"),
        "{ready}"
    );
}

async fn a_payment_waiting_in_the_mempool_never_fails_as_not_found(backend: Backend) {
    let Some(w) = BitcoinWorld::start(backend).await else {
        return;
    };
    let q = paid_as_prepared(&w).await;
    // An hour without a block: the transaction waits in the node's mempool.
    for _ in 0..6 {
        w.app.clock.advance_seconds(600);
        w.step_to_idle().await;
    }
    let view = w.view(&q.flow).await;
    assert_eq!(states(&view).0, "broadcasted", "{view}");
    w.mine_and_step(2).await;
    let view = w.view(&q.flow).await;
    assert_eq!(states(&view).1, "completed", "{view}");
}

async fn a_node_without_a_transaction_index_is_not_used(backend: Backend) {
    let Some(node) = common::litecoin::Node::start_with(&[]).await else {
        return;
    };
    let config = common::bitcoin_world::bitcoin_config(&node.url, &node);
    let Some(app) = common::TestApp::spawn_with(backend, config).await else {
        return;
    };
    let ready = app.readyz().await;
    assert!(
        ready.contains(
            "network regtest without a transaction index (start the node with txindex=1)"
        ),
        "{ready}"
    );
}
