//! The whole payment on a real EVM chain (anvil), on SQLite and PostgreSQL: create → attach →
//! quote → prepare → sign with a test key → eth_sendRawTransaction → broadcast → mine →
//! tracker verdict. Then every way a transaction can fail to pay, each ending in the right
//! state and failure code and never in `completed`.

mod common;

use common::evm::*;
use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use sluice_server::config::Config;
use sluice_server::workers::Step;
use sluice_server::workers::chain_watch::ChainWatcher;

/// A Sluice on a fresh database, an anvil node, and a test USDC the payer holds 1,000 of.
struct World {
    app: TestApp,
    chain: Anvil,
    token: String,
    tracker: ChainWatcher,
}

const USDC_SUPPLY: u128 = 1_000_000_000_000;

async fn world(backend: Backend) -> Option<World> {
    let chain = Anvil::start().await?;
    let token = chain.deploy_token(USDC_SUPPLY).await;
    chain.give_tokens(&token, PAYER, 1_000_000_000).await;
    let config = Config::parse(&format!(
        r#"
        [prices]
        "ETH/USD" = "2500"
        [tracker]
        not_found_after_secs = 300
        [[chains]]
        chain_name = "EVM"
        chain_id = "31337"
        rpc_url = "{}"
        confirmations = 2
        [[chains.tokens]]
        address = "{token}"
        symbol = "USDC"
        decimals = 6
        "#,
        chain.url
    ))
    .unwrap();
    let app = TestApp::spawn_with(backend, config).await?;
    let tracker = ChainWatcher::new(app.state.clone());
    Some(World {
        app,
        chain,
        token,
        tracker,
    })
}

impl World {
    /// A flow settling `symbol` at `token` on the anvil chain to the merchant.
    async fn flow(&self, token: &str, symbol: &str, decimals: u8, extra: Value) -> String {
        let mut body = json!({
            "amount": "25.00", "currency": "USD", "pegStablecoins": true,
            "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": "31337", "tokenAddress": token, "symbol": symbol, "tokenDecimals": decimals}]},
            "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": MERCHANT}]}
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.app.create_flow_with(body).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn attach(&self, flow: &str) -> String {
        let source = json!({"sourceType": "wallet", "fromAddress": PAYER, "fromChainId": "31337", "fromChainName": "EVM"});
        let reply = self.app.attach(flow, &source).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["sessionToken"].as_str().unwrap().to_owned()
    }

    async fn quote(&self, flow: &str, token: &str, body: Value) -> Reply {
        self.app
            .payer(Method::POST, flow, "/quote", Some(token), Some(&body))
            .await
    }

    async fn prepare(&self, flow: &str, token: &str) -> Reply {
        let body = json!({"assertBalanceForGasCost": true, "assertBalanceForTransferAmount": true});
        self.app
            .payer(Method::POST, flow, "/prepare", Some(token), Some(&body))
            .await
    }

    async fn broadcast(&self, flow: &str, token: &str, hash: &str) -> Reply {
        self.app
            .payer(
                Method::POST,
                flow,
                "/broadcast",
                Some(token),
                Some(&json!({"txHash": hash})),
            )
            .await
    }

    /// Attach, quote in `settle_token` and prepare; returns the session token and the payload.
    async fn prepared(&self, flow: &str, settle_token: &str) -> (String, Value) {
        let session = self.attach(flow).await;
        let quoted = self
            .quote(
                flow,
                &session,
                json!({"fromTokenAddress": settle_token, "fromChainId": "31337"}),
            )
            .await;
        assert_eq!(quoted.status, 200, "{}", quoted.body);
        let prepared = self.prepare(flow, &session).await;
        assert_eq!(prepared.status, 200, "{}", prepared.body);
        (
            session,
            prepared.body["quote"]["signingPayload"]["evmTransaction"].clone(),
        )
    }

    /// Steps the chain watcher until it has nothing left to do; returns its verdicts.
    async fn step_to_idle(&self) -> usize {
        let mut decided = 0;
        loop {
            let report = self.tracker.step().await.unwrap();
            decided += report.verdicts;
            if report == Default::default() {
                return decided;
            }
        }
    }

    async fn server_view(&self, flow: &str) -> Value {
        self.app
            .server(Method::GET, &format!("/flow/{flow}"), None)
            .await
            .body
    }
}

both_backends!(
    pays_in_an_erc20_end_to_end,
    pays_in_the_native_token_end_to_end,
    transfers_that_do_not_pay_fail_the_flow,
    vanished_and_reorged_transactions_never_complete,
    quote_prepare_and_broadcast_rules,
    an_rpc_outage_never_fails_a_flow,
);

/// A chain without EIP-1559 (anvil on the Berlin hardfork) gets a legacy `gasPrice`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chains_without_a_base_fee_get_a_legacy_gas_price() {
    let Some(chain) = Anvil::start_with(&["--hardfork", "berlin"]).await else {
        return;
    };
    let config = Config::parse(&format!(
        "[[chains]]\nchain_name = \"EVM\"\nchain_id = \"31337\"\nrpc_url = \"{}\"\n",
        chain.url
    ))
    .unwrap();
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, config).await else {
        return;
    };
    let tracker = ChainWatcher::new(app.state.clone());
    let w = World {
        app,
        chain,
        token: NATIVE.into(),
        tracker,
    };
    let flow = w
        .flow(NATIVE, "ETH", 18, json!({"amount": "1", "currency": "ETH"}))
        .await;
    let (_, evm) = w.prepared(&flow, NATIVE).await;
    assert!(evm["gasPrice"].is_string(), "{evm}");
    assert!(evm.get("maxFeePerGas").is_none() && evm.get("maxPriorityFeePerGas").is_none());
}

async fn pays_in_an_erc20_end_to_end(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let flow = w.flow(&w.token, "USDC", 6, json!({})).await;
    let session = w.attach(&flow).await;
    let quoted = w.quote(&flow, &session, json!({"fromTokenAddress": w.token.to_lowercase(), "fromChainId": "31337", "slippage": 0.005})).await;
    assert_eq!(quoted.status, 200, "{}", quoted.body);
    let q = &quoted.body["quote"];
    assert_eq!(
        (q["fromAmount"].as_str(), q["toAmount"].as_str()),
        (Some("25000000"), Some("25000000")),
        "25 USD at par in 6 decimals"
    );
    assert_eq!(q["version"], 1);
    assert_eq!(quoted.body["quoteVersion"], 1);
    assert_eq!(quoted.body["executionState"], "quoted");
    assert_eq!(
        q["expiresAt"], "2026-11-23T10:01:00.000Z",
        "60 s after the clock's now"
    );
    assert_eq!(q["toTokenInfo"], json!({"symbol": "USDC", "decimals": 6}));
    assert_eq!(q["fees"]["gasEstimate"]["nativeSymbol"], "ETH");
    assert!(
        q["fees"]["gasEstimate"]["usdValue"].is_string(),
        "priced from the static ETH/USD table"
    );
    assert_eq!(quoted.body["toAddress"], MERCHANT);

    let prepared = w.prepare(&flow, &session).await;
    assert_eq!(prepared.status, 200, "{}", prepared.body);
    assert_eq!(prepared.body["executionState"], "signing");
    let payload = &prepared.body["quote"]["signingPayload"];
    assert_eq!(
        (payload["chainName"].as_str(), payload["chainId"].as_str()),
        (Some("EVM"), Some("31337"))
    );
    let evm = &payload["evmTransaction"];
    assert_eq!(
        evm["to"].as_str().unwrap().to_lowercase(),
        w.token.to_lowercase(),
        "an ERC-20 transfer goes to the token"
    );
    assert_eq!(evm["value"], "0x0");
    assert_eq!(
        evm["data"],
        sluice_chain::erc20::transfer_calldata(MERCHANT, 25_000_000).as_str()
    );
    assert!(
        evm["maxFeePerGas"].is_string()
            && evm["maxPriorityFeePerGas"].is_string()
            && evm["gasLimit"].is_string()
    );
    assert_eq!(evm["nonce"], 0);

    let hash = w
        .chain
        .send_raw(&sign(&Tx::from_payload(evm), PAYER_KEY))
        .await;
    let broadcasted = w.broadcast(&flow, &session, &hash).await;
    assert_eq!(broadcasted.status, 200, "{}", broadcasted.body);
    assert_eq!(broadcasted.body["executionState"], "broadcasted");
    assert_eq!(broadcasted.body["txHash"], hash.as_str());

    assert_eq!(
        w.step_to_idle().await,
        0,
        "one confirmation of two: still pending"
    );
    assert_eq!(w.server_view(&flow).await["settlementState"], "none");
    w.chain.mine(1).await;
    assert_eq!(w.step_to_idle().await, 1);
    let done = w.server_view(&flow).await;
    assert_eq!(
        (
            done["executionState"].as_str(),
            done["settlementState"].as_str()
        ),
        (Some("source_confirmed"), Some("completed"))
    );
    assert_eq!(done["settlementTxHash"], hash.as_str());
    assert_eq!(done["confirmations"], 2);
    assert_eq!(done["settlement"]["toAddress"], MERCHANT);
    assert!(done["completedAt"].is_string() && done["sourceConfirmedAt"].is_string());
    assert!(done.get("failure").is_none());
    w.app
        .payer(Method::POST, &flow, "/quote", Some(&session), None)
        .await
        .assert_error(401, "invalid_session_token");
    let types = w.app.event_types(&flow).await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "flow.settlement.updated")
            .count(),
        1
    );
    assert_eq!(
        w.chain.rpc.erc20_balance(&w.token, MERCHANT).await.unwrap(),
        25_000_000
    );
}

async fn pays_in_the_native_token_end_to_end(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    // Priced in ETH itself: taken as is.
    let flow = w
        .flow(
            NATIVE,
            "ETH",
            18,
            json!({"amount": "0.5", "currency": "ETH"}),
        )
        .await;
    let (session, evm) = w.prepared(&flow, NATIVE).await;
    assert_eq!(evm["to"], MERCHANT);
    assert_eq!(evm["value"], "0x6f05b59d3b20000", "0.5 ETH in wei");
    assert_eq!(evm["data"], "0x");
    let before = w.chain.rpc.balance(MERCHANT).await.unwrap();
    let hash = w
        .chain
        .send_raw(&sign(&Tx::from_payload(&evm), PAYER_KEY))
        .await;
    assert_eq!(w.broadcast(&flow, &session, &hash).await.status, 200);
    w.chain.mine(1).await;
    assert_eq!(w.step_to_idle().await, 1);
    let done = w.server_view(&flow).await;
    assert_eq!(done["settlementState"], "completed");
    assert_eq!(
        w.chain.rpc.balance(MERCHANT).await.unwrap() - before,
        500_000_000_000_000_000
    );

    // Priced in USD through the static table: 25 USD at 2,500 USD/ETH = 0.01 ETH.
    let flow = w.flow(NATIVE, "ETH", 18, json!({})).await;
    let session = w.attach(&flow).await;
    let quoted = w
        .quote(&flow, &session, json!({"fromTokenAddress": NATIVE}))
        .await;
    assert_eq!(
        quoted.body["quote"]["toAmount"], "10000000000000000",
        "{}",
        quoted.body
    );
}

/// On a fresh USDC flow, prepares for real, then sends a hand-made transaction (`to`, `value`,
/// `data`) from the payer instead, broadcasts it and lets the tracker judge it; returns the
/// flow's failure code.
async fn judge(w: &World, to: &str, value: u128, data: &str) -> Value {
    let flow = w.flow(&w.token, "USDC", 6, json!({})).await;
    let (session, _) = w.prepared(&flow, &w.token).await;
    let nonce = w.chain.nonce(PAYER).await;
    let hash = w
        .chain
        .send_raw(&sign(&Tx::manual(nonce, to, value, data), PAYER_KEY))
        .await;
    assert_eq!(w.broadcast(&flow, &session, &hash).await.status, 200);
    w.chain.mine(2).await;
    w.step_to_idle().await;
    let view = w.server_view(&flow).await;
    assert_eq!(view["executionState"], "failed", "{view}");
    assert_eq!(view["settlementState"], "none", "never completed");
    assert!(view["settlementTxHash"].is_null());
    for key in ["code", "message", "category", "stage"] {
        assert!(view["failure"][key].is_string(), "failure.{key} in {view}");
    }
    assert_eq!(view["failure"]["retryable"], false);
    view["failure"]["code"].clone()
}

async fn transfers_that_do_not_pay_fail_the_flow(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let erc20 = sluice_chain::erc20::transfer_calldata;
    let other = w.chain.deploy_token(USDC_SUPPLY).await;
    w.chain.give_tokens(&other, PAYER, 100_000_000).await;
    let cases = [
        (
            w.token.as_str(),
            0,
            erc20(MERCHANT, 24_999_999),
            "underpaid",
        ),
        (
            w.token.as_str(),
            0,
            erc20(STRANGER, 25_000_000),
            "wrong_recipient",
        ),
        (
            other.as_str(),
            0,
            erc20(MERCHANT, 25_000_000),
            "wrong_token",
        ),
        // More than the payer holds: the token's `require` reverts the transaction.
        (
            w.token.as_str(),
            0,
            erc20(MERCHANT, 10_000_000_000),
            "tx_reverted",
        ),
        // A native transfer where the flow expects the token.
        (MERCHANT, 25_000_000, "0x".to_owned(), "no_transfer"),
    ];
    for (to, value, data, code) in cases {
        assert_eq!(judge(&w, to, value, &data).await, code);
    }
}

async fn vanished_and_reorged_transactions_never_complete(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    // A hash that never lands: pending until the window closes, then failed.
    let flow = w.flow(&w.token, "USDC", 6, json!({})).await;
    let (session, _) = w.prepared(&flow, &w.token).await;
    let ghost = format!("0x{}", "ab".repeat(32));
    assert_eq!(w.broadcast(&flow, &session, &ghost).await.status, 200);
    assert_eq!(w.step_to_idle().await, 0);
    w.app.clock.advance_seconds(299);
    assert_eq!(w.step_to_idle().await, 0);
    w.app.clock.advance_seconds(1);
    assert_eq!(w.step_to_idle().await, 1);
    let view = w.server_view(&flow).await;
    assert_eq!(
        (
            view["executionState"].as_str(),
            view["failure"]["code"].as_str()
        ),
        (Some("failed"), Some("tx_not_found"))
    );

    // Mined, then reorged away before the second confirmation: never completed.
    let flow = w
        .flow(&w.token, "USDC", 6, json!({"expiresIn": 7200}))
        .await;
    let (session, evm) = w.prepared(&flow, &w.token).await;
    let hash = w
        .chain
        .send_raw(&sign(&Tx::from_payload(&evm), PAYER_KEY))
        .await;
    assert_eq!(w.broadcast(&flow, &session, &hash).await.status, 200);
    assert_eq!(w.step_to_idle().await, 0, "one confirmation");
    w.chain.call("anvil_reorg", json!([1, []])).await;
    w.chain.mine(3).await;
    assert_eq!(w.step_to_idle().await, 0);
    // anvil drops a reorged-out transaction (its receipt stays null, it is not re-mined), so
    // the flow must wait and, once the window closes, fail; it must never complete.
    assert_eq!(w.chain.rpc.receipt(&hash).await.unwrap(), None);
    let view = w.server_view(&flow).await;
    assert_eq!(
        (
            view["executionState"].as_str(),
            view["settlementState"].as_str()
        ),
        (Some("broadcasted"), Some("none"))
    );
    w.app.clock.advance_seconds(301);
    assert_eq!(w.step_to_idle().await, 1);
    let view = w.server_view(&flow).await;
    assert_eq!(
        (
            view["failure"]["code"].as_str(),
            view["settlementState"].as_str()
        ),
        (Some("tx_not_found"), Some("none"))
    );
}

async fn quote_prepare_and_broadcast_rules(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let flow = w.flow(&w.token, "USDC", 6, json!({})).await;
    let session = w.attach(&flow).await;
    // Body rules come after the token, token before everything.
    w.app
        .payer(
            Method::POST,
            &flow,
            "/quote",
            Some("dft_nope"),
            Some(&json!({"slippage": "x"})),
        )
        .await
        .assert_error(401, "invalid_session_token");
    w.quote(&flow, &session, json!({"slippage": "x"}))
        .await
        .assert_error(400, "invalid_request");
    w.quote(&flow, &session, json!({"amount": "5"}))
        .await
        .assert_error(422, "validation_failed");
    let reply = w
        .quote(&flow, &session, json!({"fromTokenAddress": NATIVE}))
        .await;
    assert!(reply.assert_error(422, "no_route")["payload"]["quoteFailures"].is_array());
    w.quote(&flow, &session, json!({"fromChainId": "1"}))
        .await
        .assert_error(422, "no_route");
    // 25 USD in USDC without `pegStablecoins` and without a USDC/USD price: still `no_route`,
    // and the reason says what would let it quote (a new user's first surprise).
    let reason = |reply: &Reply| {
        reply.assert_error(422, "no_route")["payload"]["quoteFailures"][0]["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let unpegged = w
        .flow(&w.token, "USDC", 6, json!({"pegStablecoins": false}))
        .await;
    let unpegged_session = w.attach(&unpegged).await;
    let why = reason(&w.quote(&unpegged, &unpegged_session, json!({})).await);
    assert!(
        why.contains("\"pegStablecoins\": true") && why.contains("\"USDC/USD\" in [prices]"),
        "{why}"
    );
    // No hint where pegging cannot help: ETH is no stablecoin of EUR.
    let euro = w.flow(NATIVE, "ETH", 18, json!({"currency": "EUR"})).await;
    let euro_session = w.attach(&euro).await;
    let why = reason(&w.quote(&euro, &euro_session, json!({})).await);
    assert_eq!(why, "no price of ETH in EUR is configured");
    // Versions only grow; an empty body quotes the only settlement on the source's chain.
    assert_eq!(
        w.quote(&flow, &session, json!({})).await.body["quoteVersion"],
        1
    );
    assert_eq!(
        w.quote(&flow, &session, json!({})).await.body["quoteVersion"],
        2
    );
    w.broadcast(&flow, &session, &format!("0x{}", "11".repeat(32)))
        .await
        .assert_error(409, "flow_invalid_transition");
    w.app.clock.advance_seconds(60);
    w.prepare(&flow, &session)
        .await
        .assert_error(409, "quote_expired");
    assert_eq!(
        w.quote(&flow, &session, json!({})).await.body["quote"]["version"],
        3
    );
    w.app
        .force(&flow, |f| f.risk_state = sluice_domain::RiskState::Pending)
        .await;
    w.prepare(&flow, &session)
        .await
        .assert_error(409, "risk_not_cleared");
    w.app
        .force(&flow, |f| f.risk_state = sluice_domain::RiskState::Cleared)
        .await;
    let prepared = w.prepare(&flow, &session).await;
    assert_eq!(prepared.status, 200, "{}", prepared.body);
    // Re-quoting from signing voids the payload; re-preparing works.
    let requoted = w.quote(&flow, &session, json!({})).await;
    assert!(requoted.body["quote"].get("signingPayload").is_none());
    assert_eq!(w.prepare(&flow, &session).await.status, 200);
    w.broadcast(&flow, &session, "0x1234")
        .await
        .assert_error(422, "validation_failed");
    w.app
        .payer(Method::POST, &flow, "/broadcast", Some(&session), None)
        .await
        .assert_error(422, "validation_failed");
    let hash = format!("0x{}", "CD".repeat(32));
    let first = w.broadcast(&flow, &session, &hash).await;
    assert_eq!(first.body["txHash"], hash.to_lowercase());
    let events = w.app.event_types(&flow).await.len();
    assert_eq!(
        w.broadcast(&flow, &session, &hash).await.status,
        200,
        "the same hash again is fine"
    );
    assert_eq!(
        w.app.event_types(&flow).await.len(),
        events,
        "and emits nothing"
    );
    w.broadcast(&flow, &session, &format!("0x{}", "ef".repeat(32)))
        .await
        .assert_error(409, "flow_invalid_transition");

    // A poor wallet cannot prepare with the balance assertions.
    let poor = w
        .flow(&w.token, "USDC", 6, json!({"amount": "5000.00"}))
        .await;
    let session = w.attach(&poor).await;
    assert_eq!(w.quote(&poor, &session, json!({})).await.status, 200);
    let reply = w.prepare(&poor, &session).await;
    assert_eq!(
        reply.assert_error(422, "insufficient_balance")["payload"]["required"],
        "5000000000"
    );

    // Deposit-address sources never sign.
    let deposit = w.flow(&w.token, "USDC", 6, json!({})).await;
    let reply = w.app.attach(&deposit, &json!({"sourceType": "deposit_address", "fromChainId": "31337", "fromChainName": "EVM"})).await;
    let session = reply.body["sessionToken"].as_str().unwrap().to_owned();
    let quoted = w.quote(&deposit, &session, json!({})).await;
    assert_eq!(
        quoted.body["quote"]["expiresAt"], quoted.body["expiresAt"],
        "held for the flow's life"
    );
    let reply = w.prepare(&deposit, &session).await;
    assert!(
        reply.assert_error(409, "flow_invalid_transition")["error"]
            .as_str()
            .unwrap()
            .contains("deposit")
    );
    w.broadcast(&deposit, &session, &hash)
        .await
        .assert_error(409, "flow_invalid_transition");

    // Deposit mode: the payer's amount, at least the minimum.
    let dep = w.app.server(Method::POST, "/flow/deposit", Some(&{
        let mut b = flow_body();
        b["settlementConfig"]["settlements"][0] = json!({"chainName": "EVM", "chainId": "31337", "tokenAddress": w.token, "symbol": "USDC", "tokenDecimals": 6});
        b["destinationConfig"]["destinations"][0]["identifier"] = json!(MERCHANT);
        b["pegStablecoins"] = json!(true);
        b["depositConfig"] = json!({"minimum": "10"});
        b
    })).await;
    let dep = dep.body["flow"]["id"].as_str().unwrap().to_owned();
    let session = w.attach(&dep).await;
    w.quote(&dep, &session, json!({"amount": "9.99"}))
        .await
        .assert_error(422, "validation_failed");
    assert_eq!(
        w.quote(&dep, &session, json!({"amount": "12.5"}))
            .await
            .body["quote"]["toAmount"],
        "12500000"
    );

    // swaps_disabled, and a chain without RPC.
    let strict = w
        .flow(&w.token, "USDC", 6, json!({"disableSwaps": true}))
        .await;
    let session = w.attach(&strict).await;
    w.quote(&strict, &session, json!({"fromTokenAddress": NATIVE}))
        .await
        .assert_error(422, "swaps_disabled");
    let elsewhere = w.app.create_flow().await; // settles on chain 8453, which has no RPC here
    let session = w.app.attach_wallet(&elsewhere).await;
    w.quote(&elsewhere, &session, json!({}))
        .await
        .assert_error(422, "chain_not_configured");
}

async fn an_rpc_outage_never_fails_a_flow(backend: Backend) {
    let Some(w) = world(backend).await else {
        return;
    };
    let flow = w.flow(&w.token, "USDC", 6, json!({})).await;
    let (session, evm) = w.prepared(&flow, &w.token).await;
    let hash = w
        .chain
        .send_raw(&sign(&Tx::from_payload(&evm), PAYER_KEY))
        .await;
    assert_eq!(w.broadcast(&flow, &session, &hash).await.status, 200);
    // The node goes away for longer than the not-found window: the flow waits, it does not fail.
    let World {
        app,
        chain,
        tracker,
        ..
    } = w;
    drop(chain);
    app.clock.advance_seconds(3600);
    assert_eq!(tracker.run_once().await.unwrap(), Step::Idle);
    let view = app
        .server(Method::GET, &format!("/flow/{flow}"), None)
        .await
        .body;
    assert_eq!(
        (view["executionState"].as_str(), view.get("failure")),
        (Some("broadcasted"), None)
    );
}
