//! A TRON world: a Sluice with chain `TRON` `3448148188` (Nile) served by the FullNode double
//! (tron_node.rs) over a real anvil running the test token as USDT, a payer whose key signs
//! with TRON's own SDK (tools/tron/oracle.mjs), and a chain watcher that tests step by hand.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};
use sluice_chain::tron::{Contract, RawTransaction, TRX_TOKEN, TronAddress};
use sluice_server::config::Config;
use sluice_server::workers::chain_watch::ChainWatcher;

use super::evm::Anvil;
use super::tron_node::{NILE_GENESIS, TronNode};
use super::{Backend, TestApp};

pub const CHAIN_ID: &str = "3448148188";
/// The payer's private key (a test key): its TRON address holds TRX and USDT.
pub const PAYER_KEY: [u8; 32] = [7; 32];
/// m/44'/195'/0'/0/0 of the "abandon … about" mnemonic: the merchant.
pub const MERCHANT: &str = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH";
/// 25 USD at the configured 0.25 USD per TRX.
pub const FLOW_SUN: u128 = 100_000_000;
/// The provider key the world's node demands on every call (`api_key` in the config).
pub const API_KEY: &str = "test-provider-key-5e1f";
/// The world's `fee_limit_sun`: 30 TRX, not the default 100, so the payload shows it is read.
pub const FEE_LIMIT_SUN: i64 = 30_000_000;

pub struct TronWorld {
    pub app: TestApp,
    pub node: TronNode,
    pub anvil: Arc<Anvil>,
    pub usdt: TronAddress,
    pub payer: TronAddress,
    pub watcher: ChainWatcher,
}

/// The address of a private key, as TRON derives it.
pub fn address_of(key: &[u8; 32]) -> TronAddress {
    use sha3::Digest;
    let signing = k256::ecdsa::SigningKey::from_bytes(key.into()).unwrap();
    let point = signing.verifying_key().to_encoded_point(false);
    let hash = sha3::Keccak256::digest(&point.as_bytes()[1..]);
    TronAddress::from_evm(hash[12..].try_into().unwrap())
}

impl TronWorld {
    /// `None` (a loud skip) without anvil or TRON's SDK.
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, "").await
    }

    /// [`Self::start`] with `more_config` (TOML tables) added to the server's configuration.
    pub async fn start_with(backend: Backend, more_config: &str) -> Option<Self> {
        super::tron_sdk::oracle(json!({"op": "fromHex", "hex": format!("41{}", "00".repeat(20))}))?;
        let anvil = Arc::new(Anvil::start().await?);
        let token = anvil.deploy_token(1_000_000_000_000).await;
        let usdt = TronAddress::from_evm(super::evm::hex(&token).try_into().unwrap());
        let node = TronNode::start(anvil.clone(), NILE_GENESIS).await;
        node.require_api_key(API_KEY);
        let config = Config::parse(&format!(
            r#"
            [prices]
            "TRX/USD" = "0.25"
            [rate_limit]
            enabled = false
            [[chains]]
            chain_name = "TRON"
            chain_id = "{CHAIN_ID}"
            rpc_url = "{}"
            api_key = "{API_KEY}"
            fee_limit_sun = {FEE_LIMIT_SUN}
            confirmations = 2
            [[chains.tokens]]
            address = "{usdt}"
            symbol = "USDT"
            decimals = 6
            {more_config}
            "#,
            node.url
        ))
        .unwrap();
        let app = TestApp::spawn_with(backend, config).await?;
        let payer = address_of(&PAYER_KEY);
        node.fund(&payer, 1_000_000_000);
        let payer_evm = format!("0x{}", data_encoding::HEXLOWER.encode(&payer.evm_bytes()));
        anvil.give_tokens(&token, &payer_evm, 1_000_000_000).await;
        let watcher = ChainWatcher::new(app.state.clone());
        let world = Self {
            app,
            node,
            anvil,
            usdt,
            payer,
            watcher,
        };
        world.step_to_idle().await;
        Some(world)
    }

    /// A 25 USD flow settling in `token` (TRX or the world's USDT) to the merchant.
    pub async fn create_flow(&self, token: &str, extra: Value) -> String {
        let (symbol, decimals) = if token == TRX_TOKEN {
            ("TRX", 6)
        } else {
            ("USDT", 6)
        };
        let mut body = json!({
            "amount": "25.00", "currency": "USD", "pegStablecoins": true, "expiresIn": 7200,
            "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "TRON", "chainId": CHAIN_ID, "tokenAddress": token, "symbol": symbol, "tokenDecimals": decimals}]},
            "destinationConfig": {"destinations": [{"chainName": "TRON", "type": "address", "identifier": MERCHANT}]}
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let flow = self.app.create_flow_with(body).await;
        flow["id"].as_str().unwrap().to_owned()
    }

    pub async fn pay_step(&self, flow: &str, session: &str, path: &str, body: &Value) -> Value {
        let reply = self
            .app
            .payer(Method::POST, flow, path, Some(session), Some(body))
            .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        reply.body
    }

    /// Attaches the payer's wallet, quotes in `token` and prepares: the session and P6's
    /// `tronTransaction`.
    pub async fn prepared(&self, flow: &str, token: &str) -> (String, Value) {
        let source = json!({"sourceType": "wallet", "fromAddress": self.payer.to_string(), "fromChainId": CHAIN_ID, "fromChainName": "TRON"});
        let attached = self.app.attach(flow, &source).await;
        assert_eq!(attached.status, 200, "{}", attached.body);
        let session = attached.body["sessionToken"].as_str().unwrap().to_owned();
        let quote = json!({"fromTokenAddress": token, "fromChainId": CHAIN_ID});
        self.pay_step(flow, &session, "/quote", &quote).await;
        let prepared = self
            .pay_step(
                flow,
                &session,
                "/prepare",
                &json!({"assertBalanceForTransferAmount": true, "assertBalanceForGasCost": true}),
            )
            .await;
        let payload = prepared["quote"]["signingPayload"]["tronTransaction"].clone();
        (session, payload)
    }

    /// Signs `raw_data_hex` with `key` using TRON's SDK and broadcasts it to the node, as a
    /// wallet does; returns the node's answer.
    pub async fn sign_and_broadcast(&self, raw_data_hex: &str, key: &[u8; 32]) -> Value {
        self.broadcast_signed("sign", raw_data_hex, key).await
    }

    /// Like [`Self::sign_and_broadcast`], signed by any `key` without the SDK's checks.
    pub async fn forge_and_broadcast(&self, raw_data_hex: &str, key: &[u8; 32]) -> Value {
        self.broadcast_signed("forge", raw_data_hex, key).await
    }

    async fn broadcast_signed(&self, op: &str, raw_data_hex: &str, key: &[u8; 32]) -> Value {
        let signed = super::tron_sdk::oracle(json!({"op": op, "rawDataHex": raw_data_hex, "privateKey": data_encoding::HEXLOWER.encode(key)}))
            .expect("the SDK is installed");
        let body = json!({"txID": signed["txID"], "raw_data_hex": raw_data_hex, "signature": [signed["signature"]], "visible": false});
        reqwest::Client::new()
            .post(format!("{}/wallet/broadcasttransaction", self.node.url))
            .header("TRON-PRO-API-KEY", API_KEY)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A transaction of the payer's own making (a wallet that ignores Sluice's payload),
    /// referencing the node's latest block: its `raw_data` hex.
    pub async fn own_transaction(
        &self,
        contract: Contract,
        fee_limit: Option<i64>,
        expires_in_ms: i64,
    ) -> String {
        let head: Value = reqwest::Client::new()
            .post(format!("{}/wallet/getnowblock", self.node.url))
            .header("TRON-PRO-API-KEY", API_KEY)
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id: [u8; 32] = data_encoding::HEXLOWER
            .decode(head["blockID"].as_str().unwrap().as_bytes())
            .unwrap()
            .try_into()
            .unwrap();
        let number = head["block_header"]["raw_data"]["number"].as_u64().unwrap();
        let timestamp = head["block_header"]["raw_data"]["timestamp"]
            .as_i64()
            .unwrap();
        let (ref_block_bytes, ref_block_hash) = RawTransaction::reference(number, &id);
        let raw = RawTransaction {
            ref_block_bytes,
            ref_block_hash,
            expiration: timestamp + expires_in_ms,
            contract,
            timestamp,
            fee_limit,
        };
        data_encoding::HEXLOWER.encode(&raw.encode())
    }

    pub async fn step_to_idle(&self) -> usize {
        self.step(&self.watcher).await
    }

    pub async fn step(&self, watcher: &ChainWatcher) -> usize {
        super::step_to_idle(watcher).await
    }

    /// Stores the environment's TRON deposit key (an account key `m/44'/195'/0'`).
    pub async fn set_deposit_key(&self, xpub: &str) {
        use sluice_domain::deposit_key::{ChainFamily, ExtendedPublicKey};
        let key = ExtendedPublicKey::parse(xpub).unwrap();
        let record = sluice_store::DepositKeyRecord {
            environment_id: self.app.env_id,
            family: ChainFamily::Tron,
            xpub: key.to_base58(),
            fingerprint: key.fingerprint(),
            next_index: 0,
            updated_at: super::START,
        };
        self.app.store.set_deposit_key(&record).await.unwrap();
    }

    /// A deposit-address flow in `token`, quoted: its ID and address.
    pub async fn deposit_flow(&self, token: &str, extra: Value) -> (String, String) {
        let flow = self.create_flow(token, extra).await;
        let source = json!({"sourceType": "deposit_address", "fromChainId": CHAIN_ID, "fromChainName": "TRON"});
        let attached = self.app.attach(&flow, &source).await;
        assert_eq!(attached.status, 200, "{}", attached.body);
        let session = attached.body["sessionToken"].as_str().unwrap().to_owned();
        let quote = json!({"fromTokenAddress": token, "fromChainId": CHAIN_ID});
        let quoted = self.pay_step(&flow, &session, "/quote", &quote).await;
        let address = quoted["depositAddress"].as_str().unwrap().to_owned();
        (flow, address)
    }

    pub async fn mine_and_step(&self, blocks: u64) -> usize {
        self.node.mine(blocks).await;
        self.step_to_idle().await
    }

    pub async fn view(&self, flow: &str) -> Value {
        self.app.flow_view(flow).await
    }
}
