//! Exchange sources on both backends: `sluice env set-exchange`, P2, attach with an exchange
//! (Coinbase configured; Kraken and unconfigured exchanges refused), and the Coinbase Onramp
//! purchase link made at quote through a local double of Coinbase's session-token API that
//! checks the CDP JWT. A refused key, an error answer and a timeout each give the payer a
//! clear `502 exchange_unavailable` and leave the flow's quote and state as they were. And on
//! a real chain (anvil): the bought funds arrive at the deposit address like any deposit.

mod common;

use std::time::Duration;

use common::binary::sluice;
use common::coinbase_double::{CoinbaseDouble, Mode, configure_coinbase};
use common::deposit::{V1_M_0H, set_evm_key};
use common::deposit_world::{DepositWorld, states};
use common::*;
use p256::pkcs8::LineEnding;
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    coinbase_purchase_links_end_to_end,
    exchanges_that_cannot_fund_a_flow_are_refused,
    exchange_purchases_arrive_like_deposits,
);

const KEY_NAME: &str = "organizations/test-org/apiKeys/test-key";

/// A throwaway P-256 key, written to a temporary file in CDP's JSON form.
fn key_file(seed: u8) -> (p256::SecretKey, std::path::PathBuf) {
    let secret = p256::SecretKey::from_slice(&[seed; 32]).unwrap();
    let pem = secret.to_sec1_pem(LineEnding::LF).unwrap();
    let path = std::env::temp_dir().join(format!("sluice-cdp-key-{}.json", uuid::Uuid::new_v4()));
    let file = json!({"name": KEY_NAME, "privateKey": pem.as_str()});
    std::fs::write(&path, file.to_string()).unwrap();
    (secret, path)
}

/// Chain 8453 (Base, Coinbase's `base` network) with USDC configured, served by a local anvil
/// started as chain 8453 (the node must prove its chain ID; nothing else is asked of it).
fn config(coinbase_api: &str, rpc_url: &str) -> sluice_server::config::Config {
    let text = format!(
        "[rate_limit]\nenabled = false\n[coinbase]\napi_url = \"{coinbase_api}\"\ntimeout_secs = 1\n\
         [[chains]]\nchain_name = \"EVM\"\nchain_id = \"8453\"\nrpc_url = \"{rpc_url}\"\n\
         [[chains.tokens]]\naddress = \"{USDC_BASE}\"\nsymbol = \"USDC\"\ndecimals = 6\n"
    );
    sluice_server::config::Config::parse(&text).unwrap()
}

async fn set_exchange(app: &TestApp, provider: &str, file: &std::path::Path) -> (bool, String) {
    let env = app.env_id.to_string();
    let args = [
        "env",
        "set-exchange",
        "--env",
        &env,
        "--provider",
        provider,
        "--api-key-name",
        KEY_NAME,
        "--api-key-file",
        file.to_str().unwrap(),
    ];
    let (ok, out, err) = sluice(&app.db.url, &args).await;
    (ok, format!("{out}{err}"))
}

fn exchange_source(provider: &str) -> Value {
    json!({"sourceType": "exchange", "exchangeProvider": provider})
}

async fn quote(app: &TestApp, flow: &str, token: &str) -> Reply {
    // An exchange source names no chain at attach: the payer picks what to buy at quote.
    let body = json!({"fromChainId": "8453", "fromTokenAddress": USDC_BASE});
    app.payer(Method::POST, flow, "/quote", Some(token), Some(&body))
        .await
}

async fn coinbase_purchase_links_end_to_end(backend: Backend) {
    let (secret, path) = key_file(11);
    let double = CoinbaseDouble::start(KEY_NAME, &secret).await;
    let Some(base) = common::evm::Anvil::start_on(8453, None, &[]).await else {
        return;
    };
    let Some(app) = TestApp::spawn_with(backend, config(&double.url, &base.url)).await else {
        return;
    };
    set_evm_key(&app, V1_M_0H).await;
    let (ok, said) = set_exchange(&app, "coinbase", &path).await;
    assert!(ok, "{said}");
    assert!(
        !said.contains("BEGIN EC PRIVATE KEY"),
        "the key is never printed: {said}"
    );
    app.state.exchanges.load(app.store.as_ref()).await.unwrap();

    let flow = app
        .create_flow_with(json!({"pegStablecoins": true, "uiConfig": {"returnUrl": "https://shop.example.com/done"}}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = app
        .payer(Method::GET, &flow, "/exchanges", None, None)
        .await;
    assert_eq!(
        listed.body,
        json!({"exchanges": [{"id": "coinbase", "key": "coinbase", "label": "Coinbase"}]})
    );

    let attached = app.attach(&flow, &exchange_source("coinbase")).await;
    assert_eq!(attached.status, 200, "{}", attached.body);
    assert_eq!(
        attached.body["flow"]["exchangeSource"],
        json!({"exchangeId": "coinbase", "metadata": {}})
    );
    let token = attached.body["sessionToken"].as_str().unwrap().to_owned();

    // Coinbase failing, hanging, or refusing the key: a clear 502, the flow not quoted.
    for mode in [Mode::Fail(500), Mode::Hang(Duration::from_secs(3))] {
        double.set_mode(mode);
        quote(&app, &flow, &token)
            .await
            .assert_error(502, "exchange_unavailable");
        let stored = app.stored_flow(&flow).await;
        assert_eq!(
            (stored.execution_state.as_str(), stored.quote_version),
            ("source_attached", 0),
            "{mode:?}"
        );
        assert!(stored.exchange_source.unwrap().metadata.is_empty());
    }
    double.set_mode(Mode::Answer);
    let (_, other_key) = key_file(12);
    assert!(set_exchange(&app, "coinbase", &other_key).await.0);
    app.state.exchanges.load(app.store.as_ref()).await.unwrap();
    let refused = quote(&app, &flow, &token).await;
    refused.assert_error(502, "exchange_unavailable");
    assert!(
        !refused.body.to_string().contains("signature"),
        "Coinbase's reason stays in the log"
    );
    assert_eq!(app.stored_flow(&flow).await.quote_version, 0);
    let before = double.requests().len();

    // The right key: a purchase link paying the flow's deposit address.
    assert!(set_exchange(&app, "coinbase", &path).await.0);
    app.state.exchanges.load(app.store.as_ref()).await.unwrap();
    let quoted = quote(&app, &flow, &token).await;
    assert_eq!(quoted.status, 200, "{}", quoted.body);
    let deposit = quoted.body["depositAddress"].as_str().unwrap().to_owned();
    let requests = double.requests();
    assert_eq!(requests.len(), before + 1);
    let request = requests.last().unwrap();
    assert_eq!(
        request["addresses"],
        json!([{"address": deposit, "blockchains": ["base"]}])
    );
    assert_eq!(request["assets"], json!(["USDC"]));
    let url = reqwest::Url::parse(
        quoted.body["exchangeSource"]["metadata"]["url"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        url.as_str().split('?').next(),
        Some("https://pay.coinbase.com/buy/select-asset")
    );
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    let expected = [
        ("sessionToken", format!("session-token-{}", before + 1)),
        ("defaultNetwork", "base".into()),
        ("defaultAsset", "USDC".into()),
        ("presetCryptoAmount", "25".into()),
        ("partnerUserRef", flow.clone()),
        ("redirectUrl", "https://shop.example.com/done".into()),
    ];
    for (name, value) in expected {
        assert_eq!(query.get(name), Some(&value), "{name} in {url}");
    }
    assert_eq!(quoted.body["quote"]["toAmount"], "25000000");
    let stored = app.stored_flow(&flow).await;
    assert_eq!(stored.deposit_address.as_deref(), Some(deposit.as_str()));
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(other_key);
}

async fn exchanges_that_cannot_fund_a_flow_are_refused(backend: Backend) {
    let Some(app) =
        TestApp::spawn_with(backend, config("http://127.0.0.1:9", "http://127.0.0.1:9")).await
    else {
        return;
    };
    set_evm_key(&app, V1_M_0H).await;
    let flow = app.create_flow().await;
    let none = app
        .payer(Method::GET, &flow, "/exchanges", None, None)
        .await;
    assert_eq!(none.body, json!({"exchanges": []}));
    let body = app.attach(&flow, &exchange_source("coinbase")).await;
    let text = body
        .assert_error(422, "exchange_not_configured")
        .to_string();
    assert!(text.contains("coinbase is not configured"), "{text}");
    let kraken = app.attach(&flow, &exchange_source("kraken")).await;
    let text = kraken
        .assert_error(422, "exchange_not_configured")
        .to_string();
    assert!(
        text.contains("Kraken offers no public purchase link"),
        "{text}"
    );
    assert_eq!(
        app.stored_flow(&flow).await.execution_state.as_str(),
        "initiated"
    );

    // The CLI refuses Kraken, and a file that holds no key, without printing the file.
    let garbage = std::env::temp_dir().join(format!("sluice-not-a-key-{}", uuid::Uuid::new_v4()));
    std::fs::write(&garbage, "correct horse battery staple").unwrap();
    let (ok, said) = set_exchange(&app, "kraken", &garbage).await;
    assert!(!ok && said.contains("no public purchase link"), "{said}");
    let (ok, said) = set_exchange(&app, "coinbase", &garbage).await;
    assert!(!ok && said.contains("holds no usable key"), "{said}");
    assert!(!said.contains("horse battery"), "{said}");
    let _ = std::fs::remove_file(garbage);
}

/// An exchange source: the purchase link pays the flow's deposit address, the payer reports
/// the purchase (P7 without a hash), and the watcher sees the funds arrive like any deposit;
/// a purchase that never arrives fails the flow at `expiresAt`.
async fn exchange_purchases_arrive_like_deposits(backend: Backend) {
    let secret = p256::SecretKey::from_slice(&[5; 32]).unwrap();
    let double = CoinbaseDouble::start("cdp-key", &secret).await;
    let coinbase = format!("[coinbase]\napi_url = \"{}\"", double.url);
    let Some(w) = DepositWorld::start_with(backend, &coinbase).await else {
        return;
    };
    let path = configure_coinbase(&w.app, "cdp-key", &secret).await;

    let buy = |expires_in: u64| {
        let w = &w;
        async move {
            let body = json!({"expiresIn": expires_in, "amount": "25.00", "currency": "USD", "pegStablecoins": true,
                "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": "31337", "tokenAddress": w.usdc, "symbol": "USDC", "tokenDecimals": 6}]},
                "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": common::evm::MERCHANT}]}});
            let id = w.app.create_flow_with(body).await["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let source = json!({"sourceType": "exchange", "exchangeProvider": "coinbase"});
            let attached = w.app.attach(&id, &source).await;
            let session = attached.body["sessionToken"].as_str().unwrap().to_owned();
            let choice = json!({"fromChainId": "31337", "fromTokenAddress": w.usdc});
            let quoted = w
                .app
                .payer(
                    reqwest::Method::POST,
                    &id,
                    "/quote",
                    Some(&session),
                    Some(&choice),
                )
                .await;
            assert_eq!(quoted.status, 200, "{}", quoted.body);
            assert!(
                quoted.body["exchangeSource"]["metadata"]["url"]
                    .as_str()
                    .unwrap()
                    .contains("sessionToken=")
            );
            let bought = w
                .app
                .payer(
                    reqwest::Method::POST,
                    &id,
                    "/broadcast",
                    Some(&session),
                    Some(&json!({})),
                )
                .await;
            assert_eq!(
                bought.body["executionState"], "broadcasted",
                "{}",
                bought.body
            );
            (
                id,
                quoted.body["depositAddress"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (paid, address) = buy(3600).await;
    w.send_usdc(&address, 25_000_000).await;
    w.mine_and_step(1).await;
    let view = w.view(&paid).await;
    assert_eq!(
        states(&view),
        ("source_confirmed".into(), "completed".into())
    );
    assert_eq!(view["settlement"]["toAddress"], address.as_str());

    let (never, _) = buy(600).await;
    w.app.clock.advance_seconds(600);
    w.step_to_idle().await;
    let view = w.view(&never).await;
    assert_eq!(states(&view), ("failed".into(), "none".into()));
    assert_eq!(view["failure"]["details"]["receivedAmount"], "0");
    let _ = std::fs::remove_file(path);
}
