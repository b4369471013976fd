//! Wallet payments in a deposit world: flows paid from the payer's wallet (P4–P7 over real
//! HTTP), either with a real signed transaction on anvil or with a hash no chain knows.

use reqwest::Method;
use serde_json::{Value, json};

use super::deposit_world::DepositWorld;
use super::evm::*;

/// A prepared wallet payment: its flow, session token and the unsigned EVM transaction.
pub struct WalletPayment {
    pub flow: String,
    pub session: String,
    pub evm: Value,
}

impl DepositWorld {
    /// A 25 USD flow settling in the world's USDC, attached, quoted and prepared.
    pub async fn prepared_payment(&self) -> WalletPayment {
        let body = json!({
            "amount": "25.00", "currency": "USD", "pegStablecoins": true, "expiresIn": 7200,
            "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": "31337", "tokenAddress": self.usdc, "symbol": "USDC", "tokenDecimals": 6}]},
            "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": MERCHANT}]}
        });
        let flow = self.app.create_flow_with(body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let source = json!({"sourceType": "wallet", "fromAddress": PAYER, "fromChainId": "31337", "fromChainName": "EVM"});
        let attached = self.app.attach(&flow, &source).await;
        assert_eq!(attached.status, 200, "{}", attached.body);
        let session = attached.body["sessionToken"].as_str().unwrap().to_owned();
        let quote = json!({"fromTokenAddress": self.usdc, "fromChainId": "31337"});
        let quoted = self.pay_step(&flow, &session, "/quote", &quote).await;
        let prepared = self.pay_step(&flow, &session, "/prepare", &json!({})).await;
        assert_eq!(quoted["executionState"], "quoted");
        WalletPayment {
            flow,
            session,
            evm: prepared["quote"]["signingPayload"]["evmTransaction"].clone(),
        }
    }

    async fn pay_step(&self, flow: &str, session: &str, path: &str, body: &Value) -> Value {
        let reply = self
            .app
            .payer(Method::POST, flow, path, Some(session), Some(body))
            .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        reply.body
    }

    /// Reports `hash` as the payment's broadcast transaction (P7).
    pub async fn broadcast(&self, payment: &WalletPayment, hash: &str) {
        let body = json!({"txHash": hash});
        let reply = self
            .pay_step(&payment.flow, &payment.session, "/broadcast", &body)
            .await;
        assert_eq!(reply["executionState"], "broadcasted");
    }

    /// Signs the prepared transaction with the payer's key, sends it (anvil mines it at
    /// once) and reports it; returns the hash.
    pub async fn pay(&self, payment: &WalletPayment) -> String {
        let hash = self
            .chain
            .send_raw(&sign(&Tx::from_payload(&payment.evm), PAYER_KEY))
            .await;
        self.broadcast(payment, &hash).await;
        hash
    }

    /// `n` payments broadcast with hashes that no chain will ever hold.
    pub async fn never_landing_payments(&self, n: usize) -> Vec<WalletPayment> {
        let mut payments = Vec::with_capacity(n);
        for i in 0..n {
            let payment = self.prepared_payment().await;
            self.broadcast(&payment, &format!("0x{:064x}", 0xdead_0000_u64 + i as u64))
                .await;
            payments.push(payment);
        }
        payments
    }
}
