#![allow(dead_code)] // two test binaries share this world, each using part of it
//! A Solana world: a Sluice with chain `SOL` `900` (a local network proven by its genesis
//! hash) served by `SolanaNode`, Solana's real runtime behind the JSON-RPC methods Sluice
//! calls, with a USDC-like mint; a payer wallet holding SOL and USDC whose ed25519 key signs
//! what P6 returns; and a chain watcher that tests step by hand. Kept out of `common` so that
//! only the Solana test binaries link the runtime.

use reqwest::Method;
use serde_json::{Value, json};
use sluice_chain::solana::{Pubkey, SOL_TOKEN};
use sluice_server::config::Config;
use sluice_server::workers::chain_watch::ChainWatcher;
use sluice_solana_testnode::node::FINALITY;
use sluice_solana_testnode::{SolanaNode, Wallet};

use crate::common::{Backend, Reply, TestApp};

pub const CHAIN_ID: &str = "900";
pub const GENESIS: [u8; 32] = [5; 32];
/// The test mint, standing in for USDC (6 decimals).
pub const USDC: [u8; 32] = [21; 32];
/// A Token-2022 mint (2 decimals).
pub const T22: [u8; 32] = [22; 32];
/// 25 USD at the configured 100 USD per SOL, in lamports.
pub const FLOW_LAMPORTS: u128 = 250_000_000;
/// 25 USDC in base units.
pub const FLOW_USDC: u128 = 25_000_000;

pub fn b58(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}

pub struct SolanaWorld {
    pub app: TestApp,
    pub node: SolanaNode,
    pub payer: Wallet,
    pub merchant: Wallet,
    pub watcher: ChainWatcher,
}

impl SolanaWorld {
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, GENESIS, "").await
    }

    /// [`Self::start`] with `claimed` as the configured genesis hash and `more_config` (more
    /// `[[chains.tokens]]`, other tables) after the chain's entry.
    pub async fn start_with(
        backend: Backend,
        claimed: [u8; 32],
        more_config: &str,
    ) -> Option<Self> {
        let node = SolanaNode::start(GENESIS).await;
        // A chain with a finalized history, as any live one has.
        node.advance(FINALITY + 1);
        let (payer, merchant) = (Wallet::new(7), Wallet::new(9));
        node.with_runtime(|r| {
            r.create_mint(&USDC, 6);
            r.create_mint_of(&T22, 2, sluice_solana_testnode::TOKEN_2022_PROGRAM);
            r.airdrop(&payer.pubkey(), 10_000_000_000);
            // The merchant holds SOL already: a payment to it never leaves it below rent.
            r.airdrop(&merchant.pubkey(), 1_000_000_000);
            r.give_tokens(&payer.pubkey(), &USDC, 1_000_000_000);
        });
        let config = Config::parse(&format!(
            r#"
            [prices]
            "SOL/USD" = "100"
            [rate_limit]
            enabled = false
            [[chains]]
            chain_name = "SOL"
            chain_id = "{CHAIN_ID}"
            rpc_url = "{}"
            genesis_hash = "{}"
            [[chains.tokens]]
            address = "{}"
            symbol = "USDC"
            decimals = 6
            {more_config}
            "#,
            node.url,
            b58(&claimed),
            b58(&USDC),
        ))
        .unwrap();
        let app = TestApp::spawn_with(backend, config).await?;
        let watcher = ChainWatcher::new(app.state.clone());
        let world = Self {
            app,
            node,
            payer,
            merchant,
            watcher,
        };
        world.step_to_idle().await;
        Some(world)
    }

    pub fn usdc() -> String {
        b58(&USDC)
    }

    /// A 25 USD flow settling in `token` (SOL or the world's USDC) to the merchant.
    pub async fn create_flow(&self, token: &str) -> String {
        let (symbol, decimals) = if token == SOL_TOKEN {
            ("SOL", 9)
        } else {
            ("USDC", 6)
        };
        let body = json!({
            "amount": "25.00", "currency": "USD", "pegStablecoins": true, "expiresIn": 7200,
            "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "SOL", "chainId": CHAIN_ID, "tokenAddress": token, "symbol": symbol, "tokenDecimals": decimals}]},
            "destinationConfig": {"destinations": [{"chainName": "SOL", "type": "address", "identifier": self.merchant.address()}]}
        });
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

    /// Attaches `wallet`, quotes in `token`: the session.
    pub async fn quoted(&self, flow: &str, token: &str, wallet: &Wallet) -> String {
        let source = json!({"sourceType": "wallet", "fromAddress": wallet.address(), "fromChainId": CHAIN_ID, "fromChainName": "SOL"});
        let (session, reply) = self.attach_and_quote(flow, &source, token).await;
        assert_eq!(reply.status, 200, "/quote: {}", reply.body);
        session
    }

    /// Attaches `source` and asks for a quote in `token`: the session and the quote's answer,
    /// whatever it is.
    pub async fn attach_and_quote(
        &self,
        flow: &str,
        source: &Value,
        token: &str,
    ) -> (String, Reply) {
        let attached = self.app.attach(flow, source).await;
        assert_eq!(attached.status, 200, "{}", attached.body);
        let session = attached.body["sessionToken"].as_str().unwrap().to_owned();
        let quote = json!({"fromTokenAddress": token, "fromChainId": CHAIN_ID});
        let reply = self
            .app
            .payer(Method::POST, flow, "/quote", Some(&session), Some(&quote))
            .await;
        (session, reply)
    }

    /// The payer's wallet attached, quoted in `token` and prepared: the session and P6's
    /// unsigned transaction (decoded from `serializedTransaction`).
    pub async fn prepared(&self, flow: &str, token: &str) -> (String, Vec<u8>) {
        let session = self.quoted(flow, token, &self.payer).await;
        let assert =
            json!({"assertBalanceForTransferAmount": true, "assertBalanceForGasCost": true});
        let prepared = self.pay_step(flow, &session, "/prepare", &assert).await;
        let payload = &prepared["quote"]["signingPayload"];
        assert_eq!(payload["chainName"], "SOL", "{payload}");
        let text = payload["serializedTransaction"].as_str().unwrap();
        (
            session,
            data_encoding::BASE64.decode(text.as_bytes()).unwrap(),
        )
    }

    /// Reports `signature` (P7).
    pub async fn broadcast(&self, flow: &str, session: &str, signature: &str) -> Value {
        self.pay_step(flow, session, "/broadcast", &json!({"txHash": signature}))
            .await
    }

    /// The payer signs `unsigned` and sends it; the signature.
    pub async fn sign_and_send(&self, unsigned: &[u8]) -> String {
        let sent = self
            .payer
            .sign_and_send(&self.node.url, unsigned, false)
            .await;
        sent["result"]
            .as_str()
            .unwrap_or_else(|| panic!("{sent}"))
            .to_owned()
    }

    /// A transaction of the payer's own making on the node's current blockhash, signed.
    pub fn own_transaction(
        &self,
        instructions: &[sluice_chain::solana::transaction::Instruction],
    ) -> Vec<u8> {
        let blockhash = self.node.with_runtime(|r| r.latest_blockhash());
        let payer = Pubkey(self.payer.pubkey());
        let unsigned =
            sluice_chain::solana::transaction::unsigned_transaction(payer, instructions, blockhash);
        self.payer.sign(&unsigned)
    }

    /// Sends a signed transaction, skipping preflight (so a failing one lands, failed); the
    /// signature.
    pub async fn send_signed(&self, signed: &[u8]) -> String {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "sendTransaction",
            "params": [data_encoding::BASE64.encode(signed), {"encoding": "base64", "skipPreflight": true}]});
        let sent: Value = reqwest::Client::new()
            .post(&self.node.url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        sent["result"]
            .as_str()
            .unwrap_or_else(|| panic!("{sent}"))
            .to_owned()
    }

    /// Slots pass until everything sent so far is finalized; the watcher steps to idle.
    pub async fn finalize_and_step(&self) -> usize {
        self.advance_and_step(FINALITY + 1).await
    }

    pub async fn advance_and_step(&self, slots: u64) -> usize {
        self.node.advance(slots);
        self.step_to_idle().await
    }

    pub async fn step_to_idle(&self) -> usize {
        crate::common::step_to_idle(&self.watcher).await
    }

    pub async fn view(&self, flow: &str) -> Value {
        self.app.flow_view(flow).await
    }
}

/// The signature a signed wire transaction carries (its first), base58.
pub fn signature_of(signed: &[u8]) -> String {
    b58(&signed[1..65])
}
