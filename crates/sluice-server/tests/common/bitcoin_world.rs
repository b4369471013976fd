//! A Bitcoin world: a Sluice with a real regtest node (Debian's `litecoind`, behind a counting
//! proxy) configured as chain `BTC` `regtest`, the environment's BTC deposit key, the node's
//! wallet playing the payer, and a chain watcher that tests step by hand.
//!
//! Addresses are spelled for Sluice (`bcrt1…`, or `tb1…` as the tpub derives them); the node
//! is handed the same witness program under its own prefix ([`on_node`]).

use reqwest::Method;
use serde_json::{Value, json};
use sluice_domain::deposit_key::{ChainFamily, ExtendedPublicKey};
use sluice_server::config::Config;
use sluice_server::workers::chain_watch::ChainWatcher;

use super::litecoin::{Node, TPUB, on_node};
use super::rpc_proxy::CountingProxy;
use super::{Backend, START, TestApp};

/// 25 USD at the configured 50,000 USD per BTC.
pub const FLOW_SATS: u64 = 50_000;

pub struct BitcoinWorld {
    pub app: TestApp,
    pub node: Node,
    pub watcher: ChainWatcher,
    /// Sluice reaches the node only through this, so tests can count its calls.
    pub proxy: CountingProxy,
    /// Where wallet payments settle (no one's key: a made-up witness program).
    pub merchant: String,
}

/// A regtest address of the witness program `[byte; 20]`, spelled for Sluice.
pub fn program_address(byte: u8) -> String {
    bech32::segwit::encode_v0(bech32::Hrp::parse("bcrt").unwrap(), &[byte; 20]).unwrap()
}

/// A node address (`rltc1…`) spelled for Sluice (`bcrt1…`).
pub fn for_sluice(node_address: &str) -> String {
    let (_, _, program) = bech32::segwit::decode(node_address).unwrap();
    bech32::segwit::encode_v0(bech32::Hrp::parse("bcrt").unwrap(), &program).unwrap()
}

pub fn bitcoin_config(rpc_url: &str, node: &Node) -> Config {
    bitcoin_config_with(rpc_url, node, "")
}

/// With `extra` configuration (TOML tables) appended.
pub fn bitcoin_config_with(rpc_url: &str, node: &Node, extra: &str) -> Config {
    Config::parse(&format!(
        r#"
        [prices]
        "BTC/USD" = "50000"
        [rate_limit]
        enabled = false
        [[chains]]
        chain_name = "BTC"
        chain_id = "regtest"
        network = "regtest"
        rpc_url = "{rpc_url}"
        rpc_cookie_file = "{}"
        confirmations = 2
        fee_rate_sat_vb = 3
        {extra}
        "#,
        node.cookie().display()
    ))
    .unwrap()
}

impl BitcoinWorld {
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, "").await
    }

    /// With `extra` configuration (TOML tables) appended.
    pub async fn start_with(backend: Backend, extra: &str) -> Option<Self> {
        let node = Node::start().await?;
        let proxy = CountingProxy::start(&node.url).await;
        let config = bitcoin_config_with(&proxy.url, &node, extra);
        let app = TestApp::spawn_with(backend, config).await?;
        let key = ExtendedPublicKey::parse(TPUB).unwrap();
        let record = sluice_store::DepositKeyRecord {
            environment_id: app.env_id,
            family: ChainFamily::Btc,
            xpub: key.to_base58(),
            fingerprint: key.fingerprint(),
            next_index: 0,
            updated_at: START,
        };
        app.store.set_deposit_key(&record).await.unwrap();
        let watcher = ChainWatcher::new(app.state.clone());
        let world = Self {
            app,
            node,
            watcher,
            proxy,
            merchant: program_address(0x11),
        };
        world.step_to_idle().await; // the first step sets the scan's start at the head
        Some(world)
    }

    pub async fn rpc(&self, method: &str, params: Value) -> Value {
        self.node.rpc().call(method, params).await.unwrap()
    }

    /// Mines `blocks` blocks (to no one's wallet), then steps the watcher to idle.
    pub async fn mine_and_step(&self, blocks: u64) -> usize {
        self.mine(blocks).await;
        self.step_to_idle().await
    }

    pub async fn mine(&self, blocks: u64) -> Vec<String> {
        let to = on_node(&program_address(0x33));
        let hashes = self.rpc("generatetoaddress", json!([blocks, to])).await;
        serde_json::from_value(hashes).unwrap()
    }

    /// Sends `sats` from the node's payer wallet to `to` (a Sluice spelling); returns the txid.
    pub async fn send(&self, to: &str, sats: u64) -> String {
        let amount = format!("{}.{:08}", sats / 100_000_000, sats % 100_000_000);
        let txid = self
            .node
            .wallet(
                "sendtoaddress",
                json!([on_node(to), amount.parse::<f64>().unwrap()]),
            )
            .await;
        txid.as_str().unwrap().to_owned()
    }

    /// A flow of 25 USD settling in BTC to the merchant, with `extra` fields merged in.
    pub async fn create_flow(&self, extra: Value) -> String {
        let mut body = json!({
            "amount": "25.00", "currency": "USD", "expiresIn": 7200,
            "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "BTC", "chainId": "regtest", "tokenAddress": "bitcoin", "symbol": "BTC", "tokenDecimals": 8}]},
            "destinationConfig": {"destinations": [{"chainName": "BTC", "type": "address", "identifier": self.merchant}]}
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let flow = self.app.create_flow_with(body).await;
        flow["id"].as_str().unwrap().to_owned()
    }

    /// Attaches `source` and quotes the flow in BTC; returns the session token and the quote.
    pub async fn attach_and_quote(&self, flow: &str, source: &Value) -> (String, Value) {
        let attached = self.app.attach(flow, source).await;
        assert_eq!(attached.status, 200, "{}", attached.body);
        let session = attached.body["sessionToken"].as_str().unwrap().to_owned();
        let quote = json!({"fromTokenAddress": "bitcoin", "fromChainId": "regtest"});
        let quoted = self.pay_step(flow, &session, "/quote", &quote).await;
        (session, quoted)
    }

    pub async fn pay_step(&self, flow: &str, session: &str, path: &str, body: &Value) -> Value {
        let reply = self.payer(flow, session, path, body).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        reply.body
    }

    pub async fn payer(&self, flow: &str, session: &str, path: &str, body: &Value) -> super::Reply {
        self.app
            .payer(Method::POST, flow, path, Some(session), Some(body))
            .await
    }

    /// Signs a PSBT with the payer wallet and broadcasts it; returns the txid.
    pub async fn sign_and_send(&self, psbt: &str) -> String {
        let signed = self.node.wallet("walletprocesspsbt", json!([psbt])).await;
        assert_eq!(signed["complete"], true, "{signed}");
        let final_tx = self.rpc("finalizepsbt", json!([signed["psbt"]])).await;
        let txid = self
            .rpc("sendrawtransaction", json!([final_tx["hex"]]))
            .await;
        txid.as_str().unwrap().to_owned()
    }

    /// Steps `watcher` until it has nothing left to do; returns the work it reported.
    pub async fn step(&self, watcher: &ChainWatcher) -> usize {
        super::step_to_idle(watcher).await
    }

    pub async fn step_to_idle(&self) -> usize {
        self.step(&self.watcher).await
    }

    pub async fn view(&self, flow: &str) -> Value {
        self.app.flow_view(flow).await
    }

    pub async fn deposit_events(&self, flow: &str) -> Vec<Value> {
        self.app.deposit_events(flow).await
    }
}
