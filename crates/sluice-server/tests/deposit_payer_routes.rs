//! Deposit addresses on the payer routes, on both backends: P3 lists what a payer can
//! deposit, and the first quote of a deposit-address flow hands out its address.

mod common;

use common::deposit::*;
use common::*;
use sluice_domain::FlowId;
use sluice_domain::deposit_key::ChainFamily;

both_backends!(source_token_options_are_the_depositable_settlements);

/// A token on chain 8453 that the configuration does not list, so deposits of it would not be
/// seen (DAI on Base).
const UNWATCHED: &str = "0x50c5725949A6F0c72E6C4a641F24049A917DB0Cb";

/// Chain 8453 served by a local anvil started as chain 8453: deposits need the chain to be
/// configured and its node to have proven its chain ID; nothing else here needs it.
fn base_chain_config(rpc_url: &str) -> sluice_server::config::Config {
    sluice_server::config::Config::parse(&format!(
        r#"
        [rate_limit]
        enabled = false
        [[chains]]
        chain_name = "EVM"
        chain_id = "8453"
        rpc_url = "{rpc_url}"
        confirmations = 2
        [[chains.tokens]]
        address = "{USDC_BASE}"
        symbol = "USDC"
        decimals = 6
        "#
    ))
    .expect("a valid configuration")
}

/// P3: the flow's settlements on chains with a deposit key and (EVM) a configured RPC.
async fn source_token_options_are_the_depositable_settlements(backend: Backend) {
    let Some(base) = common::evm::Anvil::start_on(8453, None, &[]).await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(backend, base_chain_config(&base.url)).await else {
        return;
    };
    let usdc_mainnet = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
    let flow = app
        .create_flow_with(serde_json::json!({"settlementConfig": {"strategy": "cheapest", "settlements": [
            {"chainName": "EVM", "chainId": "8453", "tokenAddress": USDC_BASE, "symbol": "USDC", "tokenDecimals": 6},
            {"chainName": "EVM", "chainId": "8453", "tokenAddress": "0x0000000000000000000000000000000000000000", "symbol": "ETH", "tokenDecimals": 18, "isNative": true},
            {"chainName": "EVM", "chainId": "1", "tokenAddress": usdc_mainnet, "symbol": "USDC", "tokenDecimals": 6},
            {"chainName": "EVM", "chainId": "8453", "tokenAddress": UNWATCHED, "symbol": "DAI", "tokenDecimals": 18}
        ]}}))
        .await;
    let flow = flow["id"].as_str().unwrap().to_owned();
    let options = |query: &'static str| {
        let flow = flow.clone();
        let app = &app;
        async move {
            app.payer(
                reqwest::Method::GET,
                &flow,
                &format!("/sourceTokenOptions{query}"),
                None,
                None,
            )
            .await
        }
    };

    let none = options("?sourceType=deposit_address").await;
    assert_eq!(none.status, 200, "{}", none.body);
    assert_eq!(
        none.body,
        serde_json::json!({"sourceTokenOptions": []}),
        "no key yet"
    );

    set_evm_key(&app, V1_M_0H).await;
    let some = options("?sourceType=deposit_address").await;
    assert_eq!(
        some.body,
        serde_json::json!({"sourceTokenOptions": [{"chainName": "EVM", "chainId": "8453", "tokens": [
            {"address": USDC_BASE, "symbol": "USDC", "decimals": 6},
            {"address": "0x0000000000000000000000000000000000000000", "symbol": "ETH", "decimals": 18}
        ]}]}),
        "chain 1 has no RPC configured; DAI is not among chain 8453's configured tokens"
    );
    options("").await.assert_error(422, "validation_failed");
    options("?sourceType=wallet")
        .await
        .assert_error(422, "validation_failed");
    let unknown = app
        .payer(
            reqwest::Method::GET,
            &FlowId::new_random().to_string(),
            "/sourceTokenOptions?sourceType=deposit_address",
            None,
            None,
        )
        .await;
    unknown.assert_error(404, "flow_not_found");
}

both_backends!(quoting_a_deposit_flow_hands_out_its_address_once);

/// P5 on a deposit-address source: the first quote allocates the flow's address (and makes it
/// the quote's destination), a re-quote keeps it, and the quote holds until the flow expires.
/// The chain's RPC is unreachable here: a deposit quote needs no fee estimate.
async fn quoting_a_deposit_flow_hands_out_its_address_once(backend: Backend) {
    let Some(base) = common::evm::Anvil::start_on(8453, None, &[]).await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(backend, base_chain_config(&base.url)).await else {
        return;
    };
    let created = app
        .create_flow_with(serde_json::json!({"pegStablecoins": true}))
        .await;
    let flow = created["id"].as_str().unwrap().to_owned();
    let attached = app.attach(&flow, &deposit_source()).await;
    let token = attached.body["sessionToken"].as_str().unwrap().to_owned();
    let quote = |token: String| {
        let flow = flow.clone();
        let app = &app;
        async move {
            app.payer(reqwest::Method::POST, &flow, "/quote", Some(&token), None)
                .await
        }
    };

    // No key for the chain's family: a clear 422, and the flow is unchanged.
    let refused = quote(token.clone()).await;
    let body = refused.assert_error(422, "chain_not_configured");
    assert!(
        body["error"].as_str().unwrap().contains("set-deposit-key"),
        "{body}"
    );
    assert!(app.stored_flow(&flow).await.quote.is_none());

    let key = set_evm_key(&app, V1_M_0H).await;
    let expected = key.deposit_address(ChainFamily::Evm, 0).unwrap();
    let first = quote(token.clone()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["depositAddress"], expected.as_str());
    assert_eq!(first.body["toAddress"], expected.as_str());
    assert_eq!(first.body["quote"]["toAmount"], "25000000");
    assert_eq!(first.body["quote"]["expiresAt"], created["expiresAt"]);
    let again = quote(token).await;
    assert_eq!(again.body["depositAddress"], expected.as_str());
    assert_eq!(again.body["quoteVersion"], 2);
    let listed = app.store.deposit_addresses(app.env_id).await.unwrap();
    assert_eq!(
        listed.len(),
        1,
        "one index for the flow, however often it quotes"
    );
    // A token the watcher would not see cannot be quoted for a deposit.
    let dai = app
        .create_flow_with(serde_json::json!({"pegStablecoins": true, "currency": "DAI", "settlementConfig": {"strategy": "cheapest", "settlements": [
            {"chainName": "EVM", "chainId": "8453", "tokenAddress": UNWATCHED, "symbol": "DAI", "tokenDecimals": 18}]}}))
        .await;
    let dai = dai["id"].as_str().unwrap().to_owned();
    let attached = app.attach(&dai, &deposit_source()).await;
    let token = attached.body["sessionToken"].as_str().unwrap();
    let refused = app
        .payer(reqwest::Method::POST, &dai, "/quote", Some(token), None)
        .await;
    let body = refused.assert_error(422, "chain_not_configured");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("does not list that token"),
        "{body}"
    );
    assert_eq!(app.stored_flow(&dai).await.deposit_address, None);
}
