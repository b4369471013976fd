//! A deposit-address world: a Sluice with the anvil chain and its test USDC configured, an
//! EVM deposit key whose first addresses are published accounts, and a chain watcher that
//! tests step by hand.

use reqwest::Method;
use serde_json::{Value, json};
use sluice_server::config::Config;
use sluice_server::workers::chain_watch::ChainWatcher;

use super::deposit::{BIP44_ETH_ACCOUNT, set_evm_key};
use super::evm::*;
use super::rpc_proxy::CountingProxy;
use super::{Backend, TestApp};

pub struct DepositWorld {
    pub app: TestApp,
    pub chain: Anvil,
    pub usdc: String,
    pub watcher: ChainWatcher,
    /// Sluice reaches anvil only through this, so tests can count its calls.
    pub proxy: CountingProxy,
}

/// A quoted deposit flow: its ID, deposit address and the base units that must arrive.
pub struct DepositFlow {
    pub id: String,
    pub address: String,
    pub to_amount: u128,
}

/// The anvil chain (as Coinbase's `base` network, for exchange tests) with its USDC, plus
/// `extra` configuration.
pub fn chain_config(rpc_url: &str, usdc: &str, extra: &str) -> Config {
    Config::parse(&format!(
        r#"
        [prices]
        "ETH/USD" = "2500"
        [rate_limit]
        enabled = false
        [[chains]]
        chain_name = "EVM"
        chain_id = "31337"
        rpc_url = "{rpc_url}"
        confirmations = 2
        onramp_network = "base"
        [[chains.tokens]]
        address = "{usdc}"
        symbol = "USDC"
        decimals = 6
        {extra}
        "#
    ))
    .unwrap()
}

impl DepositWorld {
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, "").await
    }

    /// With `extra` configuration (TOML tables) appended.
    pub async fn start_with(backend: Backend, extra: &str) -> Option<Self> {
        let chain = Anvil::start().await?;
        let usdc = chain.deploy_token(1_000_000_000_000).await;
        chain.give_tokens(&usdc, PAYER, 1_000_000_000).await;
        let proxy = CountingProxy::start(&chain.url).await;
        let app = TestApp::spawn_with(backend, chain_config(&proxy.url, &usdc, extra)).await?;
        set_evm_key(&app, BIP44_ETH_ACCOUNT).await;
        let watcher = ChainWatcher::new(app.state.clone());
        let world = Self {
            app,
            chain,
            usdc,
            watcher,
            proxy,
        };
        world.step_to_idle().await; // the first step sets the scan's start at the head
        Some(world)
    }

    /// A flow settling in `token` (USDC or the native token), attached as a deposit-address
    /// source and quoted: it now has its address.
    pub async fn quoted_flow(&self, token: &str, extra: Value) -> DepositFlow {
        let (symbol, decimals) = if token == NATIVE {
            ("ETH", 18)
        } else {
            ("USDC", 6)
        };
        let mut body = json!({
            "amount": "25.00", "currency": "USD", "pegStablecoins": true,
            "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": "31337", "tokenAddress": token, "symbol": symbol, "tokenDecimals": decimals}]},
            "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": MERCHANT}]}
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let id = self.app.create_flow_with(body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let source = json!({"sourceType": "deposit_address", "fromChainId": "31337", "fromChainName": "EVM"});
        let attached = self.app.attach(&id, &source).await;
        assert_eq!(attached.status, 200, "{}", attached.body);
        let session = attached.body["sessionToken"].as_str().unwrap();
        let quote = json!({"fromTokenAddress": token, "fromChainId": "31337"});
        let quoted = self
            .app
            .payer(Method::POST, &id, "/quote", Some(session), Some(&quote))
            .await;
        assert_eq!(quoted.status, 200, "{}", quoted.body);
        DepositFlow {
            id,
            address: quoted.body["depositAddress"].as_str().unwrap().to_owned(),
            to_amount: quoted.body["quote"]["toAmount"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
        }
    }

    /// Another Sluice instance's watcher ([`second_instance`]).
    pub async fn second_instance(&self) -> ChainWatcher {
        second_instance(&self.app).await
    }

    /// Sends `amount` of the test USDC from the payer; returns the transaction hash.
    pub async fn send_usdc(&self, to: &str, amount: u128) -> String {
        let data = sluice_chain::erc20::transfer_calldata(to, amount);
        let receipt = self
            .chain
            .send_unlocked(PAYER, Some(&self.usdc), &data)
            .await;
        assert_eq!(receipt["status"], "0x1");
        receipt["transactionHash"].as_str().unwrap().to_owned()
    }

    /// Sends `wei` of the native token from the payer.
    pub async fn send_native(&self, to: &str, wei: u128) -> String {
        let tx = json!({"from": PAYER, "to": to, "value": format!("0x{wei:x}")});
        let hash = self.chain.call("eth_sendTransaction", json!([tx])).await;
        let receipt = self.chain.receipt(&hash).await;
        assert_eq!(receipt["status"], "0x1");
        hash.as_str().unwrap().to_owned()
    }

    /// Steps `watcher` until it has nothing left to do; returns the work it reported.
    pub async fn step(&self, watcher: &ChainWatcher) -> usize {
        super::step_to_idle(watcher).await
    }

    pub async fn step_to_idle(&self) -> usize {
        self.step(&self.watcher).await
    }

    /// Mines `blocks` more blocks, then steps the watcher to idle.
    pub async fn mine_and_step(&self, blocks: u64) -> usize {
        self.chain.mine(blocks).await;
        self.step_to_idle().await
    }

    pub async fn view(&self, flow: &str) -> Value {
        self.app.flow_view(flow).await
    }

    pub async fn deposit_events(&self, flow: &str) -> Vec<Value> {
        self.app.deposit_events(flow).await
    }
}

/// The three states of a flow, for one-line assertions.
pub fn states(view: &Value) -> (String, String) {
    (
        view["executionState"].as_str().unwrap_or("?").to_owned(),
        view["settlementState"].as_str().unwrap_or("?").to_owned(),
    )
}

/// Another Sluice instance's watcher: on PostgreSQL over its own connection pool (a separate
/// process would look the same to the database); on SQLite, where one server owns a file, a
/// second watcher in the same process.
pub async fn second_instance(app: &TestApp) -> ChainWatcher {
    let state = if app.db.url.starts_with("postgres") {
        let store = sluice_server::store::connect(&app.db.url).await.unwrap();
        let config = (*app.state.config).clone();
        sluice_server::AppState::with_config(store, std::sync::Arc::new(app.clock.clone()), config)
    } else {
        app.state.clone()
    };
    ChainWatcher::new(state)
}
