//! A real local EVM node for chain tests: anvil from the npm package
//! `@foundry-rs/anvil-linux-amd64` (installed under `tools/evm` by `scripts/test.sh`), started
//! on a free port, killed when dropped. Plus what a payer's wallet does: sign an EIP-1559
//! transaction with a private key and send it raw.
//!
//! Without anvil the chain tests say so and pass, unless `SLUICE_REQUIRE_ANVIL=1` (CI).

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use k256::ecdsa::SigningKey;
use serde_json::{Value, json};
use sha3::{Digest, Keccak256};
use sluice_chain::EvmRpc;
use sluice_chain::evm::parse_quantity;
use tokio::process::{Child, Command};

pub const CHAIN_ID: u64 = 31337;
/// Anvil's well-known development accounts (mnemonic "test test … junk").
pub const DEPLOYER: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
pub const PAYER: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
pub const PAYER_KEY: &str = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
pub const MERCHANT: &str = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
pub const STRANGER: &str = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
pub const NATIVE: &str = "0x0000000000000000000000000000000000000000";

pub struct Anvil {
    _child: Child,
    pub url: String,
    pub rpc: EvmRpc,
}

fn anvil_binary() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("SLUICE_ANVIL") {
        return path.into();
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.join("tools/evm/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Anvil {
    pub async fn start() -> Option<Self> {
        Self::start_with(&[]).await
    }

    /// Starts anvil with extra command-line arguments (e.g. an older hardfork).
    pub async fn start_with(extra: &[&str]) -> Option<Self> {
        Self::start_on(CHAIN_ID, None, extra).await
    }

    /// Anvil serving another chain ID (a local stand-in for, say, Base's 8453), or on a
    /// given port (a node that comes up where a server already expects it).
    pub async fn start_on(chain_id: u64, port: Option<u16>, extra: &[&str]) -> Option<Self> {
        let binary = anvil_binary();
        if !binary.exists() {
            if std::env::var("SLUICE_REQUIRE_ANVIL").is_ok_and(|v| v == "1" || v == "true") {
                panic!(
                    "anvil is required (SLUICE_REQUIRE_ANVIL) but {} does not exist; run scripts/test.sh",
                    binary.display()
                );
            }
            let _ = writeln!(
                std::io::stderr(),
                "\n*** EVM chain tests did NOT run: no anvil at {}. Run scripts/test.sh to install it. ***\n",
                binary.display()
            );
            return None;
        }
        for _ in 0..5 {
            let port = port.unwrap_or_else(free_port);
            let child = Command::new(&binary)
                .args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--chain-id",
                    &chain_id.to_string(),
                    "--silent",
                ])
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("spawn anvil");
            let url = format!("http://127.0.0.1:{port}");
            let rpc = EvmRpc::new(&url, Duration::from_secs(5));
            for _ in 0..100 {
                if rpc.chain_id().await.is_ok() {
                    return Some(Self {
                        _child: child,
                        url,
                        rpc,
                    });
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        panic!("anvil did not start");
    }

    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.rpc
            .call(method, params)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    pub async fn mine(&self, blocks: u64) {
        self.call("anvil_mine", json!([format!("0x{blocks:x}")]))
            .await;
    }

    /// Sends from an unlocked dev account (fixtures only; payments are signed by `sign`).
    pub async fn send_unlocked(&self, from: &str, to: Option<&str>, data: &str) -> Value {
        let mut tx = json!({"from": from, "data": data});
        if let Some(to) = to {
            tx["to"] = json!(to);
        }
        let hash = self.call("eth_sendTransaction", json!([tx])).await;
        self.receipt(&hash).await
    }

    /// Waits for a transaction's receipt: anvil answers the send before it has mined.
    pub async fn receipt(&self, hash: &Value) -> Value {
        for _ in 0..200 {
            let receipt = self.call("eth_getTransactionReceipt", json!([hash])).await;
            if !receipt.is_null() {
                return receipt;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no receipt for {hash}");
    }

    /// Deploys the test ERC-20 (6 decimals) with `supply` base units, all to the deployer.
    pub async fn deploy_token(&self, supply: u128) -> String {
        let code = include_str!("../fixtures/TestToken.bin").trim();
        let receipt = self
            .send_unlocked(DEPLOYER, None, &format!("0x{code}{supply:064x}"))
            .await;
        let address = receipt["contractAddress"]
            .as_str()
            .expect("token deployed")
            .to_owned();
        sluice_domain::address::parse_evm(&address).unwrap()
    }

    pub async fn give_tokens(&self, token: &str, to: &str, amount: u128) {
        let receipt = self
            .send_unlocked(
                DEPLOYER,
                Some(token),
                &sluice_chain::erc20::transfer_calldata(to, amount),
            )
            .await;
        assert_eq!(receipt["status"], "0x1");
    }

    /// Sends a signed transaction and waits until it is mined.
    pub async fn send_raw(&self, raw: &str) -> String {
        let hash = self.call("eth_sendRawTransaction", json!([raw])).await;
        self.receipt(&hash).await;
        hash.as_str().unwrap().to_owned()
    }

    pub async fn nonce(&self, address: &str) -> u64 {
        self.rpc.pending_nonce(address).await.unwrap()
    }
}

/// An EIP-1559 transaction to sign.
#[derive(Debug, Clone)]
pub struct Tx {
    pub nonce: u64,
    pub max_priority_fee: u128,
    pub max_fee: u128,
    pub gas_limit: u128,
    pub to: String,
    pub value: u128,
    pub data: Vec<u8>,
}

impl Tx {
    /// The transaction a prepare answer asks the wallet to sign.
    pub fn from_payload(evm: &Value) -> Self {
        let q = |k: &str| parse_quantity(&evm[k]).unwrap_or_else(|_| panic!("{k} in {evm}"));
        Self {
            nonce: evm["nonce"].as_u64().unwrap(),
            max_priority_fee: q("maxPriorityFeePerGas"),
            max_fee: q("maxFeePerGas"),
            gas_limit: q("gasLimit"),
            to: evm["to"].as_str().unwrap().to_owned(),
            value: q("value"),
            data: hex(evm["data"].as_str().unwrap()),
        }
    }

    /// A hand-made transfer for negative tests, with generous fixed fees.
    pub fn manual(nonce: u64, to: &str, value: u128, data: &str) -> Self {
        Self {
            nonce,
            max_priority_fee: 1_000_000_000,
            max_fee: 100_000_000_000,
            gas_limit: 200_000,
            to: to.into(),
            value,
            data: hex(data),
        }
    }
}

pub fn hex(s: &str) -> Vec<u8> {
    let s = s.trim_start_matches("0x");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    format!(
        "0x{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn rlp_bytes(bytes: &[u8]) -> Vec<u8> {
    match bytes {
        [b] if *b < 0x80 => vec![*b],
        _ => [rlp_length(bytes.len(), 0x80), bytes.to_vec()].concat(),
    }
}

fn rlp_length(len: usize, offset: u8) -> Vec<u8> {
    if len < 56 {
        vec![offset + len as u8]
    } else {
        let be = minimal(len as u128);
        [vec![offset + 55 + be.len() as u8], be].concat()
    }
}

fn minimal(v: u128) -> Vec<u8> {
    v.to_be_bytes()
        .iter()
        .skip_while(|b| **b == 0)
        .copied()
        .collect()
}

fn rlp_uint(v: u128) -> Vec<u8> {
    rlp_bytes(&minimal(v))
}

fn rlp_list(items: &[Vec<u8>]) -> Vec<u8> {
    let payload = items.concat();
    [rlp_length(payload.len(), 0xc0), payload].concat()
}

/// Signs `tx` with `key` (hex) for chain 31337 and returns the raw type-2 transaction.
pub fn sign(tx: &Tx, key: &str) -> String {
    let fields = vec![
        rlp_uint(u128::from(CHAIN_ID)),
        rlp_uint(u128::from(tx.nonce)),
        rlp_uint(tx.max_priority_fee),
        rlp_uint(tx.max_fee),
        rlp_uint(tx.gas_limit),
        rlp_bytes(&hex(&tx.to)),
        rlp_uint(tx.value),
        rlp_bytes(&tx.data),
        rlp_list(&[]),
    ];
    let unsigned = [vec![0x02], rlp_list(&fields)].concat();
    let digest = Keccak256::digest(&unsigned);
    let key = SigningKey::from_slice(&hex(key)).unwrap();
    let (signature, recovery) = key.sign_prehash_recoverable(&digest).unwrap();
    let bytes = signature.to_bytes();
    let mut signed = fields;
    signed.push(rlp_uint(u128::from(recovery.is_y_odd())));
    signed.push(rlp_bytes(
        &bytes[..32]
            .iter()
            .skip_while(|b| **b == 0)
            .copied()
            .collect::<Vec<_>>(),
    ));
    signed.push(rlp_bytes(
        &bytes[32..]
            .iter()
            .skip_while(|b| **b == 0)
            .copied()
            .collect::<Vec<_>>(),
    ));
    to_hex(&[vec![0x02], rlp_list(&signed)].concat())
}
