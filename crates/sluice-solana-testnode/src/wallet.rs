//! A payer's wallet as tests need one: an ed25519 key that signs the transactions Sluice
//! prepares the way a wallet does (the message bytes, into the signer's slot) and sends them
//! to a node over JSON-RPC.

use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};

pub struct Wallet {
    key: SigningKey,
}

impl Wallet {
    /// A wallet whose secret key is 32 bytes of `seed`.
    pub fn new(seed: u8) -> Self {
        Self {
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    pub fn pubkey(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    pub fn address(&self) -> String {
        bs58::encode(self.pubkey()).into_string()
    }

    /// Signs an unsigned wire transaction whose single signature slot is this wallet's
    /// (the fee payer, first account key); panics on any other layout, as a wallet refuses.
    pub fn sign(&self, unsigned: &[u8]) -> Vec<u8> {
        assert_eq!(unsigned[0], 1, "one signature slot");
        let message = &unsigned[65..];
        let keys_start = 4;
        assert_eq!(
            &message[keys_start..keys_start + 32],
            &self.pubkey(),
            "the fee payer is this wallet"
        );
        self.forge(unsigned)
    }

    /// This wallet's signature in the first slot, whoever the fee payer is: what a forger
    /// sends.
    pub fn forge(&self, unsigned: &[u8]) -> Vec<u8> {
        let mut signed = unsigned.to_vec();
        signed[1..65].copy_from_slice(&self.key.sign(&unsigned[65..]).to_bytes());
        signed
    }

    /// Signs and sends with `sendTransaction` (base64, preflight unless `skip_preflight`):
    /// the node's JSON-RPC reply, `result` the signature or `error`.
    pub async fn sign_and_send(
        &self,
        node_url: &str,
        unsigned: &[u8],
        skip_preflight: bool,
    ) -> Value {
        let signed = data_encoding::BASE64.encode(&self.sign(unsigned));
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": "sendTransaction",
            "params": [signed, {"encoding": "base64", "skipPreflight": skip_preflight}]});
        post_json(node_url, &request).await
    }
}

/// A JSON POST over a plain TCP connection (tests only; loopback), so this crate needs no
/// HTTP client of its own.
async fn post_json(url: &str, body: &Value) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (_, payload) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    serde_json::from_str(payload).expect("a JSON answer")
}
