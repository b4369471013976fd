//! TRON wallet payments end to end against the FullNode double (tests/common/tron_node.rs),
//! with TRC-20 executed on a real EVM: attach a TRON wallet, quote, P6's `tronTransaction`
//! signed by TRON's own SDK and broadcast to the node, which checks it as a real node does,
//! P7's txID, and the chain watcher's verdict after `confirmations` blocks.

mod common;

use common::Backend;
use common::deposit_world::states;
use common::tron_world::{API_KEY, FEE_LIMIT_SUN, FLOW_SUN, MERCHANT, PAYER_KEY, TronWorld};
use serde_json::json;
use sluice_chain::tron::{Contract, TRX_TOKEN, TronAddress};

both_backends!(trx_and_usdt_wallet_payments_settle_after_their_confirmations);

async fn trx_and_usdt_wallet_payments_settle_after_their_confirmations(backend: Backend) {
    let Some(w) = TronWorld::start(backend).await else {
        return;
    };
    for token in [TRX_TOKEN.to_owned(), w.usdt.to_string()] {
        let flow = w.create_flow(&token, json!({})).await;
        let (session, tx) = w.prepared(&flow, &token).await;
        assert_eq!(tx["to"], MERCHANT);
        let expected = if token == TRX_TOKEN {
            FLOW_SUN
        } else {
            25_000_000
        };
        assert_eq!(tx["value"], format!("0x{expected:x}"));
        let sent = w
            .sign_and_broadcast(tx["rawDataHex"].as_str().unwrap(), &PAYER_KEY)
            .await;
        assert_eq!(sent["result"], true, "{sent}");
        let body = json!({"txHash": sent["txid"]});
        let reply = w.pay_step(&flow, &session, "/broadcast", &body).await;
        assert_eq!(reply["executionState"], "broadcasted");
        w.mine_and_step(1).await;
        assert_eq!(states(&w.view(&flow).await).1, "none", "one block of two");
        w.mine_and_step(1).await;
        let view = w.view(&flow).await;
        assert_eq!(
            states(&view),
            ("source_confirmed".into(), "completed".into()),
            "{token}: {view}"
        );
    }
}

both_backends!(
    the_prepared_transaction_is_the_one_the_spec_describes,
    the_node_refuses_what_a_real_node_refuses,
    short_misdirected_and_out_of_energy_payments_fail,
);

fn trx(w: &TronWorld, to: &str, amount: i64) -> Contract {
    Contract::Transfer {
        owner: w.payer,
        to: TronAddress::parse(to).unwrap(),
        amount,
    }
}

fn usdt(w: &TronWorld, to: &str, amount: u128) -> Contract {
    Contract::Trigger {
        owner: w.payer,
        contract: w.usdt,
        data: sluice_chain::tron::chain::transfer_data(&TronAddress::parse(to).unwrap(), amount),
    }
}

/// Spec §10.2 read back by TRON's own SDK from P6's `rawDataHex`: the contract, owner,
/// recipient and amount, the reference block the latest one, an expiration no later than the
/// quote's, and the configured fee limit on a TRC-20 call; every node call carried the key.
async fn the_prepared_transaction_is_the_one_the_spec_describes(backend: Backend) {
    let Some(w) = TronWorld::start(backend).await else {
        return;
    };
    for token in [TRX_TOKEN.to_owned(), w.usdt.to_string()] {
        let flow = w.create_flow(&token, json!({})).await;
        let (head, head_id) = (w.node.head(), w.node.head_id());
        let (_, tx) = w.prepared(&flow, &token).await;
        let hex = tx["rawDataHex"].as_str().unwrap();
        let raw = common::tron_sdk::oracle(json!({"op": "decode", "rawDataHex": hex})).unwrap();
        assert_eq!(raw["rawDataHex"], hex, "tronweb writes back the same bytes");
        assert_eq!(raw["owner"], w.payer.to_string());
        assert_eq!(raw["refBlockBytes"], format!("{:04x}", head & 0xffff));
        assert_eq!(raw["refBlockHash"], head_id[16..32]);
        let quote = &w.view(&flow).await["quote"];
        let quote_expiry =
            sluice_domain::time::Timestamp::parse_rfc3339(quote["expiresAt"].as_str().unwrap())
                .unwrap();
        let expiration = raw["expiration"].as_i64().unwrap();
        assert!(
            expiration <= quote_expiry.millis(),
            "expiration {expiration} after the quote's {quote_expiry:?}"
        );
        if token == TRX_TOKEN {
            assert!(
                raw["typeUrl"]
                    .as_str()
                    .unwrap()
                    .ends_with("TransferContract")
            );
            assert_eq!(
                (&raw["to"], &raw["amount"]),
                (&json!(MERCHANT), &json!(FLOW_SUN))
            );
            assert_eq!(raw["feeLimit"], 0, "no fee limit on a TRX transfer");
        } else {
            assert!(
                raw["typeUrl"]
                    .as_str()
                    .unwrap()
                    .ends_with("TriggerSmartContract")
            );
            assert_eq!(raw["contract"], token);
            let merchant = TronAddress::parse(MERCHANT).unwrap();
            let data = sluice_chain::tron::chain::transfer_data(&merchant, 25_000_000);
            assert_eq!(raw["data"], data_encoding::HEXLOWER.encode(&data));
            assert_eq!(raw["feeLimit"], FEE_LIMIT_SUN);
        }
    }
    assert!(w.node.calls().values().sum::<u64>() > 0);
    assert_eq!(w.node.unkeyed_calls(), 0, "every call carried {API_KEY}");
}

async fn the_node_refuses_what_a_real_node_refuses(backend: Backend) {
    let Some(w) = TronWorld::start(backend).await else {
        return;
    };
    let code = |answer: serde_json::Value| answer["code"].as_str().unwrap_or("accepted").to_owned();
    let raw = w
        .own_transaction(trx(&w, MERCHANT, 1_000_000), None, 60_000)
        .await;
    assert_eq!(
        code(w.forge_and_broadcast(&raw, &[9; 32]).await),
        "SIGERROR",
        "signed by another key"
    );
    let mut tampered = data_encoding::HEXLOWER.decode(raw.as_bytes()).unwrap();
    *tampered.last_mut().unwrap() ^= 1;
    let signed = common::tron_sdk::oracle(json!({"op": "sign", "rawDataHex": raw, "privateKey": data_encoding::HEXLOWER.encode(&PAYER_KEY)})).unwrap();
    let forged = json!({"txID": signed["txID"], "raw_data_hex": data_encoding::HEXLOWER.encode(&tampered), "signature": [signed["signature"]]});
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/wallet/broadcasttransaction", w.node.url))
        .header("TRON-PRO-API-KEY", common::tron_world::API_KEY)
        .json(&forged)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(answer), "SIGERROR", "raw_data changed after signing");
    let expired = w
        .own_transaction(trx(&w, MERCHANT, 1_000_000), None, -1)
        .await;
    assert_eq!(
        code(w.sign_and_broadcast(&expired, &PAYER_KEY).await),
        "TRANSACTION_EXPIRATION_ERROR"
    );
    let too_much = w
        .own_transaction(trx(&w, MERCHANT, 5_000_000_000), None, 60_000)
        .await;
    assert_eq!(
        code(w.sign_and_broadcast(&too_much, &PAYER_KEY).await),
        "CONTRACT_VALIDATE_ERROR"
    );
    assert_eq!(
        code(w.sign_and_broadcast(&raw, &PAYER_KEY).await),
        "accepted"
    );
    assert_eq!(
        code(w.sign_and_broadcast(&raw, &PAYER_KEY).await),
        "DUP_TRANSACTION_ERROR"
    );
    // A reference block the chain does not have (another fork).
    let mut foreign = data_encoding::HEXLOWER
        .decode(
            w.own_transaction(trx(&w, MERCHANT, 2_000_000), None, 60_000)
                .await
                .as_bytes(),
        )
        .unwrap();
    foreign[6] ^= 0xff; // inside ref_block_hash (field 4, after the 2-byte ref_block_bytes)
    let foreign = data_encoding::HEXLOWER.encode(&foreign);
    assert_eq!(
        code(w.sign_and_broadcast(&foreign, &PAYER_KEY).await),
        "TAPOS_ERROR"
    );
}

/// Pays `flow` (prepared) with the payer's own `raw` and reports it; returns the flow.
async fn pay_with(w: &TronWorld, flow: &str, session: &str, raw: &str) -> serde_json::Value {
    let sent = w.sign_and_broadcast(raw, &PAYER_KEY).await;
    assert_eq!(sent["result"], true, "{sent}");
    w.pay_step(
        flow,
        session,
        "/broadcast",
        &json!({"txHash": sent["txid"]}),
    )
    .await;
    w.mine_and_step(2).await;
    w.view(flow).await
}

async fn short_misdirected_and_out_of_energy_payments_fail(backend: Backend) {
    let Some(w) = TronWorld::start(backend).await else {
        return;
    };
    let usdt_token = w.usdt.to_string();
    let other = "TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK";
    let cases: [(&str, Contract, Option<i64>, &str); 6] = [
        (
            usdt_token.as_str(),
            usdt(&w, MERCHANT, 24_999_999),
            Some(100_000_000),
            "underpaid",
        ),
        (
            TRX_TOKEN,
            trx(&w, other, FLOW_SUN as i64),
            None,
            "wrong_recipient",
        ),
        (
            usdt_token.as_str(),
            usdt(&w, MERCHANT, 25_000_000),
            Some(1_000),
            "tx_reverted",
        ),
        (
            TRX_TOKEN,
            trx(&w, MERCHANT, FLOW_SUN as i64 - 1),
            None,
            "underpaid",
        ),
        (
            usdt_token.as_str(),
            usdt(&w, other, 25_000_000),
            Some(100_000_000),
            "wrong_recipient",
        ),
        // TRX reported for a USDT flow.
        (
            usdt_token.as_str(),
            trx(&w, MERCHANT, 25_000_000),
            None,
            "wrong_token",
        ),
    ];
    let mut burned = Vec::new();
    for (token, contract, fee_limit, failure) in cases {
        let flow = w.create_flow(token, json!({})).await;
        let (session, _) = w.prepared(&flow, token).await;
        let raw = w.own_transaction(contract, fee_limit, 60_000).await;
        let before = w.node.trx(&w.payer);
        let view = pay_with(&w, &flow, &session, &raw).await;
        burned.push(before - w.node.trx(&w.payer));
        assert_eq!(states(&view).0, "failed", "{failure}: {view}");
        assert_eq!(view["failure"]["code"], failure, "{view}");
    }
    assert_eq!(
        burned[1], FLOW_SUN as u64,
        "the TRX went to the other address"
    );
    assert_eq!(burned[2], 1_000, "out of energy: the fee limit burned");
    // …and no token moved: the merchant holds only the short payment.
    let merchant = TronAddress::parse(MERCHANT).unwrap();
    let word = format!(
        "{:0>64}",
        data_encoding::HEXLOWER.encode(&merchant.evm_bytes())
    );
    let token = format!("0x{}", data_encoding::HEXLOWER.encode(&w.usdt.evm_bytes()));
    let held = w
        .anvil
        .call(
            "eth_call",
            json!([{"to": token, "data": format!("0x70a08231{word}")}, "latest"]),
        )
        .await;
    assert_eq!(
        u128::from_str_radix(held.as_str().unwrap().trim_start_matches("0x"), 16).unwrap(),
        24_999_999
    );
}

both_backends!(
    a_quote_longer_than_a_day_still_gets_a_transaction_a_node_takes,
    a_txid_no_block_holds_fails_as_not_found,
    a_wallet_short_of_trx_or_usdt_is_refused_at_prepare,
    a_node_of_another_network_is_never_quoted_on,
);

/// An operator's `quotes.ttl_secs` of two days: the transaction expires within the 24 hours a
/// node allows past its head block, so the node takes it and the flow settles.
async fn a_quote_longer_than_a_day_still_gets_a_transaction_a_node_takes(backend: Backend) {
    let Some(w) = TronWorld::start_with(backend, "[quotes]\nttl_secs = 172800").await else {
        return;
    };
    let flow = w
        .create_flow(TRX_TOKEN, json!({"expiresIn": 259_200}))
        .await;
    let (session, tx) = w.prepared(&flow, TRX_TOKEN).await;
    let sent = w
        .sign_and_broadcast(tx["rawDataHex"].as_str().unwrap(), &PAYER_KEY)
        .await;
    assert_eq!(sent["result"], true, "{sent}");
    let reply = w
        .pay_step(
            &flow,
            &session,
            "/broadcast",
            &json!({"txHash": sent["txid"]}),
        )
        .await;
    assert_eq!(reply["executionState"], "broadcasted");
    w.mine_and_step(2).await;
    assert_eq!(states(&w.view(&flow).await).1, "completed");
}

async fn a_wallet_short_of_trx_or_usdt_is_refused_at_prepare(backend: Backend) {
    let Some(w) = TronWorld::start(backend).await else {
        return;
    };
    let broke = common::tron_world::address_of(&[9; 32]);
    for token in [TRX_TOKEN.to_owned(), w.usdt.to_string()] {
        let flow = w.create_flow(&token, json!({})).await;
        let source = json!({"sourceType": "wallet", "fromAddress": broke.to_string(), "fromChainId": common::tron_world::CHAIN_ID, "fromChainName": "TRON"});
        let attached = w.app.attach(&flow, &source).await;
        let session = attached.body["sessionToken"].as_str().unwrap().to_owned();
        let quote = json!({"fromTokenAddress": token, "fromChainId": common::tron_world::CHAIN_ID});
        w.pay_step(&flow, &session, "/quote", &quote).await;
        let body = json!({"assertBalanceForTransferAmount": true, "assertBalanceForGasCost": true});
        let refused = w
            .app
            .payer(
                reqwest::Method::POST,
                &flow,
                "/prepare",
                Some(&session),
                Some(&body),
            )
            .await;
        refused.assert_error(422, "insufficient_balance");
    }
}

async fn a_node_of_another_network_is_never_quoted_on(backend: Backend) {
    let Some(w) = TronWorld::start(backend).await else {
        return;
    };
    // The same node configured as TRON mainnet: its block 0 is Nile's.
    let mut config = (*w.app.state.config).clone();
    config.chains[0].chain_id = "728126428".into();
    let Some(app) = common::TestApp::spawn_with(backend, config).await else {
        return;
    };
    let flow = app
        .create_flow_with(json!({
            "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "TRON", "chainId": "728126428", "tokenAddress": TRX_TOKEN, "symbol": "TRX", "tokenDecimals": 6}]},
            "destinationConfig": {"destinations": [{"chainName": "TRON", "type": "address", "identifier": MERCHANT}]}
        }))
        .await;
    let flow = flow["id"].as_str().unwrap();
    let source = json!({"sourceType": "wallet", "fromAddress": w.payer.to_string(), "fromChainId": "728126428", "fromChainName": "TRON"});
    let attached = app.attach(flow, &source).await;
    let session = attached.body["sessionToken"].as_str().unwrap();
    let quote = json!({"fromTokenAddress": TRX_TOKEN, "fromChainId": "728126428"});
    let reply = app
        .payer(
            reqwest::Method::POST,
            flow,
            "/quote",
            Some(session),
            Some(&quote),
        )
        .await;
    reply.assert_error(502, "chain_unavailable");
    let ready = app.readyz().await;
    assert!(
        ready.contains(&format!(
            "chain TRON 728126428: wrong network: the node reports genesis block {}",
            common::tron_node::NILE_GENESIS
        )),
        "{ready}"
    );
}

async fn a_txid_no_block_holds_fails_as_not_found(backend: Backend) {
    let Some(w) = TronWorld::start(backend).await else {
        return;
    };
    let flow = w.create_flow(TRX_TOKEN, json!({})).await;
    let (session, _) = w.prepared(&flow, TRX_TOKEN).await;
    let evm_style = json!({"txHash": format!("0x{}", "ab".repeat(32))});
    let refused = w
        .app
        .payer(
            reqwest::Method::POST,
            &flow,
            "/broadcast",
            Some(&session),
            Some(&evm_style),
        )
        .await;
    refused.assert_error(422, "validation_failed");
    w.pay_step(
        &flow,
        &session,
        "/broadcast",
        &json!({"txHash": "ab".repeat(32)}),
    )
    .await;
    w.mine_and_step(3).await;
    assert_eq!(states(&w.view(&flow).await).0, "broadcasted");
    w.app.clock.advance_seconds(600);
    w.step_to_idle().await;
    let view = w.view(&flow).await;
    assert_eq!(view["failure"]["code"], "tx_not_found", "{view}");
}
