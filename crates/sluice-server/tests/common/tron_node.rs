//! A TRON FullNode double for the tests: no TRON node installs here (java-tron ships as a
//! Docker image), so this serves the HTTP API endpoints Sluice uses, in the real JSON shapes
//! (TRON's HTTP API reference, developers.tron.network: getnowblock, getblockbynum,
//! gettransactioninfobyid, gettransactioninfobyblocknum, broadcasttransaction, getaccount,
//! triggerconstantcontract), and checks on broadcast what a real node checks: the txID is
//! sha256 of `raw_data`, the signature recovers the owner, the reference block is one of its
//! blocks (TaPoS), the expiration lies ahead of the head and within 24 hours, the transaction
//! is new, and the owner's TRX covers a transfer. Transactions execute when the test mines a
//! block: TRX balances here, TRC-20 calls on a real EVM (anvil) at the same 20-byte address
//! (TRON address = `41` ‖ EVM address), whose `Transfer` logs become the block's logs. A call
//! whose energy would cost more than its fee limit fails `OUT_OF_ENERGY` without executing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::routing::post;
use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sha3::Keccak256;
use sluice_chain::tron::TronAddress;

use super::evm::Anvil;
use super::tron_wire::{Decoded, Kind, decode_raw};

/// Nile's block 0 ID: the double serves chain `3448148188` unless told otherwise.
pub const NILE_GENESIS: &str = "0000000000000000d698d4192c56cb6be724a558448e2684802de4d6cd8690dc";
/// Sun one unit of energy costs (the network's price since 2024).
const SUN_PER_ENERGY: u64 = 420;
const BLOCK_MS: i64 = 3_000;

struct Block {
    id: [u8; 32],
    number: u64,
    parent: [u8; 32],
    timestamp: i64,
    txs: Vec<Value>,
    infos: Vec<Value>,
}

#[derive(Default)]
struct Chain {
    blocks: Vec<Block>,
    pending: Vec<(Value, Decoded)>,
    trx: HashMap<[u8; 21], u64>,
    infos: HashMap<String, Value>,
    /// The next block is stamped no earlier than this (see [`TronNode::advance_to`]).
    time_floor: i64,
    /// Milliseconds between blocks' stamps; `None`: TRON's 3 s.
    block_ms: Option<i64>,
}

#[derive(Clone)]
struct Node {
    chain: Arc<Mutex<Chain>>,
    anvil: Arc<Anvil>,
    /// Calls by method, so that tests can measure what the watcher asks.
    calls: Arc<Mutex<std::collections::BTreeMap<String, u64>>>,
    /// The `TRON-PRO-API-KEY` every call must carry, as a keyed provider (TronGrid) demands.
    api_key: Arc<Mutex<Option<String>>>,
    /// Calls refused for a missing or wrong API key.
    unkeyed: Arc<Mutex<u64>>,
}

pub struct TronNode {
    pub url: String,
    node: Node,
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.trim_start_matches("0x").as_bytes())
        .ok()
}

fn block_json(b: &Block) -> Value {
    let mut raw = json!({"txTrieRoot": hex(&[0; 32]), "witness_address": hex(&[0x41; 21]),
        "parentHash": hex(&b.parent), "version": 30, "timestamp": b.timestamp});
    if b.number > 0 {
        raw["number"] = json!(b.number);
    }
    let mut block =
        json!({"blockID": hex(&b.id), "block_header": {"raw_data": raw, "witness_signature": ""}});
    if !b.txs.is_empty() {
        block["transactions"] = json!(b.txs);
    }
    block
}

/// A refusal as `broadcasttransaction` answers it: the message hex-encoded.
fn refused(code: &str, tx_id: &str, message: &str) -> Value {
    json!({"code": code, "txid": tx_id, "message": hex(message.as_bytes())})
}

impl TronNode {
    /// A node whose block 0 has ID `genesis`, with TRC-20 contracts running on `anvil`.
    pub async fn start(anvil: Arc<Anvil>, genesis: &str) -> Self {
        let mut chain = Chain::default();
        chain.blocks.push(Block {
            id: unhex(genesis).unwrap().try_into().unwrap(),
            number: 0,
            parent: [0; 32],
            timestamp: super::START.0,
            txs: vec![],
            infos: vec![],
        });
        let node = Node {
            chain: Arc::new(Mutex::new(chain)),
            anvil,
            calls: Arc::default(),
            api_key: Arc::default(),
            unkeyed: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/wallet/{method}", post(wallet))
            .with_state(node.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let node = Self { url, node };
        node.mine(1).await;
        node
    }

    /// Credits `sun` to `address` (as a faucet would).
    pub fn fund(&self, address: &TronAddress, sun: u64) {
        *self
            .node
            .chain
            .lock()
            .unwrap()
            .trx
            .entry(address.0)
            .or_default() += sun;
    }

    pub fn trx(&self, address: &TronAddress) -> u64 {
        self.node
            .chain
            .lock()
            .unwrap()
            .trx
            .get(&address.0)
            .copied()
            .unwrap_or(0)
    }

    /// Moves the chain's clock: the next block is stamped at `ms` (a test whose server runs
    /// on the real time, as the payment page's countdown needs).
    pub fn advance_to(&self, ms: i64) {
        self.node.chain.lock().unwrap().time_floor = ms;
    }

    /// Stamps blocks `ms` apart (a test that mines faster than every 3 s on the real time).
    pub fn set_block_interval(&self, ms: i64) {
        self.node.chain.lock().unwrap().block_ms = Some(ms);
    }

    /// Calls by method since the last [`Self::reset_calls`].
    pub fn calls(&self) -> std::collections::BTreeMap<String, u64> {
        self.node.calls.lock().unwrap().clone()
    }

    pub fn reset_calls(&self) {
        self.node.calls.lock().unwrap().clear();
    }

    /// From now on, every call must carry `key` in `TRON-PRO-API-KEY`; others are refused
    /// with 401 and counted (see [`Self::unkeyed_calls`]).
    pub fn require_api_key(&self, key: &str) {
        *self.node.api_key.lock().unwrap() = Some(key.to_owned());
    }

    pub fn unkeyed_calls(&self) -> u64 {
        *self.node.unkeyed.lock().unwrap()
    }

    /// Reads the head block.
    fn with_head<T>(&self, read: impl FnOnce(&Block) -> T) -> T {
        read(self.node.chain.lock().unwrap().blocks.last().unwrap())
    }

    /// The head block's ID, hex.
    pub fn head_id(&self) -> String {
        self.with_head(|b| hex(&b.id))
    }

    pub fn head(&self) -> u64 {
        self.with_head(|b| b.number)
    }

    /// The head block's timestamp, ms.
    pub fn head_time(&self) -> i64 {
        self.with_head(|b| b.timestamp)
    }

    /// Produces `n` blocks; the first holds every pending transaction, executed in order.
    pub async fn mine(&self, n: u64) {
        for _ in 0..n {
            let pending = std::mem::take(&mut self.node.chain.lock().unwrap().pending);
            let mut txs = Vec::new();
            let mut infos = Vec::new();
            let (number, timestamp) = {
                let chain = self.node.chain.lock().unwrap();
                let last = chain.blocks.last().unwrap();
                (
                    last.number + 1,
                    (last.timestamp + chain.block_ms.unwrap_or(BLOCK_MS)).max(chain.time_floor),
                )
            };
            for (mut tx, decoded) in pending {
                let Some((ret, info)) = self.node.execute(&decoded, number, timestamp).await else {
                    continue; // no longer valid (its TRX was spent meanwhile): never included
                };
                tx["ret"] = json!([{"contractRet": ret}]);
                txs.push(tx);
                infos.push(info);
            }
            let mut chain = self.node.chain.lock().unwrap();
            let parent = chain.blocks.last().unwrap().id;
            let mut id: [u8; 32] = Sha256::digest(
                [&parent[..], &number.to_be_bytes(), &txs.len().to_be_bytes()].concat(),
            )
            .into();
            id[..8].copy_from_slice(&number.to_be_bytes());
            for info in &infos {
                chain
                    .infos
                    .insert(info["id"].as_str().unwrap().to_owned(), info.clone());
            }
            chain.blocks.push(Block {
                id,
                number,
                parent,
                timestamp,
                txs,
                infos,
            });
        }
    }
}

impl Node {
    /// Runs one transaction in block `number`: its `contractRet` and its info, or `None` for a
    /// TRX transfer no longer covered, which a producer leaves out of its block (as TRON's do:
    /// such a transfer never appears on chain, failed or not).
    async fn execute(
        &self,
        d: &Decoded,
        number: u64,
        timestamp: i64,
    ) -> Option<(&'static str, Value)> {
        let mut info = json!({"id": d.tx_id, "blockNumber": number, "blockTimeStamp": timestamp, "contractResult": [""]});
        match &d.kind {
            Kind::Transfer { to, amount } => {
                let mut chain = self.chain.lock().unwrap();
                let have = chain.trx.get(&d.owner.0).copied().unwrap_or(0);
                if have < *amount {
                    return None;
                }
                *chain.trx.entry(d.owner.0).or_default() -= amount;
                *chain.trx.entry(to.0).or_default() += amount;
                info["receipt"] = json!({"net_usage": 268});
                Some(("SUCCESS", info))
            }
            Kind::Trigger { contract, data } => {
                Some(self.call_contract(d, contract, data, info).await)
            }
        }
    }

    async fn call_contract(
        &self,
        d: &Decoded,
        contract: &TronAddress,
        data: &[u8],
        mut info: Value,
    ) -> (&'static str, Value) {
        let from = format!("0x{}", hex(&d.owner.evm_bytes()));
        let call = json!({"from": from, "to": format!("0x{}", hex(&contract.evm_bytes())), "data": format!("0x{}", hex(data))});
        let energy = match self.anvil.rpc.call("eth_estimateGas", json!([call])).await {
            Ok(gas) => {
                u64::from_str_radix(gas.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
            }
            Err(_) => 0, // reverts: executed below to record the revert
        };
        let cost = energy * SUN_PER_ENERGY;
        let balance = self
            .chain
            .lock()
            .unwrap()
            .trx
            .get(&d.owner.0)
            .copied()
            .unwrap_or(0);
        if cost > d.fee_limit || cost > balance {
            let burned = d.fee_limit.min(balance);
            *self.chain.lock().unwrap().trx.entry(d.owner.0).or_default() -= burned;
            info["fee"] = json!(burned);
            info["receipt"] = json!({"energy_fee": burned, "result": "OUT_OF_ENERGY"});
            info["result"] = json!("FAILED");
            return ("OUT_OF_ENERGY", info);
        }
        self.anvil
            .call("anvil_impersonateAccount", json!([from]))
            .await;
        self.anvil
            .call("anvil_setBalance", json!([from, "0x56bc75e2d63100000"]))
            .await;
        let hash = self.anvil.call("eth_sendTransaction", json!([call])).await;
        let receipt = self.anvil.receipt(&hash).await;
        *self.chain.lock().unwrap().trx.entry(d.owner.0).or_default() -= cost;
        info["fee"] = json!(cost);
        info["contract_address"] = json!(contract.to_hex());
        if receipt["status"] != "0x1" {
            info["receipt"] =
                json!({"energy_usage_total": energy, "energy_fee": cost, "result": "REVERT"});
            info["result"] = json!("FAILED");
            return ("REVERT", info);
        }
        let logs: Vec<Value> = receipt["logs"].as_array().unwrap().iter().map(|l| json!({
            "address": l["address"].as_str().unwrap().trim_start_matches("0x").to_ascii_lowercase(),
            "topics": l["topics"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().trim_start_matches("0x").to_owned()).collect::<Vec<_>>(),
            "data": l["data"].as_str().unwrap().trim_start_matches("0x"),
        })).collect();
        info["receipt"] =
            json!({"energy_usage_total": energy, "energy_fee": cost, "result": "SUCCESS"});
        info["log"] = json!(logs);
        ("SUCCESS", info)
    }

    /// `broadcasttransaction`: what a real node checks before it accepts a transaction.
    fn broadcast(&self, body: &Value) -> Value {
        let tx_id = body["txID"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(raw) = body["raw_data_hex"].as_str().and_then(unhex) else {
            return refused("OTHER_ERROR", &tx_id, "raw_data_hex is not hex");
        };
        let computed = hex(&Sha256::digest(&raw));
        let Some(decoded) = decode_raw(&raw, &computed) else {
            return refused("OTHER_ERROR", &tx_id, "raw_data does not parse");
        };
        let signature = body["signature"][0]
            .as_str()
            .and_then(unhex)
            .unwrap_or_default();
        if computed != tx_id
            || recover(&Sha256::digest(&raw).into(), &signature) != Some(decoded.owner)
        {
            return refused("SIGERROR", &tx_id, "validate signature error");
        }
        let mut chain = self.chain.lock().unwrap();
        let head = chain.blocks.last().unwrap().timestamp;
        let referenced = chain.blocks.iter().rev().take(65_536).any(|b| {
            b.number.to_be_bytes()[6..8] == decoded.ref_block_bytes
                && b.id[8..16] == decoded.ref_block_hash
        });
        if !referenced {
            return refused("TAPOS_ERROR", &tx_id, "Tapos check error");
        }
        if decoded.expiration <= head || decoded.expiration > head + 86_400_000 {
            return refused(
                "TRANSACTION_EXPIRATION_ERROR",
                &tx_id,
                "transaction expired",
            );
        }
        if chain.infos.contains_key(&computed)
            || chain.pending.iter().any(|(_, d)| d.tx_id == computed)
        {
            return refused("DUP_TRANSACTION_ERROR", &tx_id, "dup transaction");
        }
        if let Kind::Transfer { amount, .. } = decoded.kind {
            let have = chain.trx.get(&decoded.owner.0).copied().unwrap_or(0);
            if have < amount {
                return refused(
                    "CONTRACT_VALIDATE_ERROR",
                    &tx_id,
                    "Validate TransferContract error, balance is not sufficient.",
                );
            }
        }
        let tx = json!({"signature": [hex(&signature)], "txID": computed, "raw_data": decoded.raw_json.clone(), "raw_data_hex": hex(&raw)});
        chain.pending.push((tx, decoded));
        json!({"result": true, "txid": computed})
    }
}

/// The owner a 65-byte signature (r ‖ s ‖ v) over `hash` recovers.
fn recover(hash: &[u8; 32], signature: &[u8]) -> Option<TronAddress> {
    let sig = Signature::from_slice(signature.get(..64)?).ok()?;
    let v = *signature.get(64)?;
    let id = RecoveryId::from_byte(if v >= 27 { v - 27 } else { v })?;
    let key = VerifyingKey::recover_from_prehash(hash, &sig, id).ok()?;
    let point = key.to_encoded_point(false);
    let digest = Keccak256::digest(&point.as_bytes()[1..]);
    Some(TronAddress::from_evm(digest[12..].try_into().ok()?))
}

async fn wallet(
    State(node): State<Node>,
    Path(method): Path<String>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let required = node.api_key.lock().unwrap().clone();
    if let Some(key) = required {
        let sent = headers
            .get("TRON-PRO-API-KEY")
            .and_then(|v| v.to_str().ok());
        if sent != Some(key.as_str()) {
            *node.unkeyed.lock().unwrap() += 1;
            let error = json!({"Error": "ApiKey not exists"});
            return (axum::http::StatusCode::UNAUTHORIZED, Json(error)).into_response();
        }
    }
    answer(&node, &method, &body).await.into_response()
}

async fn answer(node: &Node, method: &str, body: &Value) -> Json<Value> {
    *node
        .calls
        .lock()
        .unwrap()
        .entry(method.to_owned())
        .or_default() += 1;
    let number = |chain: &Chain| {
        body["num"]
            .as_u64()
            .map(|n| n as usize)
            .filter(|&n| n < chain.blocks.len())
    };
    let answer = match method {
        "getnowblock" => block_json(node.chain.lock().unwrap().blocks.last().unwrap()),
        "getblockbynum" => {
            let chain = node.chain.lock().unwrap();
            number(&chain).map_or(json!({}), |n| block_json(&chain.blocks[n]))
        }
        "gettransactioninfobyblocknum" => {
            let chain = node.chain.lock().unwrap();
            match number(&chain).map(|n| &chain.blocks[n].infos) {
                Some(infos) if !infos.is_empty() => json!(infos),
                _ => json!({}),
            }
        }
        "gettransactioninfobyid" => {
            let id = body["value"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            node.chain
                .lock()
                .unwrap()
                .infos
                .get(&id)
                .cloned()
                .unwrap_or(json!({}))
        }
        "getaccount" => {
            let address = body["address"]
                .as_str()
                .and_then(unhex)
                .and_then(|b| <[u8; 21]>::try_from(b).ok());
            let balance = address.and_then(|a| node.chain.lock().unwrap().trx.get(&a).copied());
            match (address, balance) {
                (Some(a), Some(balance)) => {
                    json!({"address": hex(&a), "balance": balance, "create_time": super::START.0})
                }
                _ => json!({}),
            }
        }
        "broadcasttransaction" => node.broadcast(body),
        "triggerconstantcontract" => constant_call(node, body).await,
        other => json!({"Error": format!("the double does not serve {other}")}),
    };
    Json(answer)
}

/// `triggerconstantcontract`: a read-only call (`balanceOf`) run on the EVM.
async fn constant_call(node: &Node, body: &Value) -> Value {
    let contract = body["contract_address"]
        .as_str()
        .and_then(unhex)
        .unwrap_or_default();
    let selector = Keccak256::digest(
        body["function_selector"]
            .as_str()
            .unwrap_or_default()
            .as_bytes(),
    );
    let data = format!(
        "0x{}{}",
        hex(&selector[..4]),
        body["parameter"].as_str().unwrap_or_default()
    );
    let to = format!("0x{}", hex(contract.get(1..).unwrap_or_default()));
    match node
        .anvil
        .rpc
        .call("eth_call", json!([{"to": to, "data": data}, "latest"]))
        .await
    {
        Ok(result) => json!({"result": {"result": true}, "energy_used": 0,
            "constant_result": [result.as_str().unwrap_or_default().trim_start_matches("0x")]}),
        Err(e) => {
            json!({"result": {"code": "CONTRACT_EXE_ERROR", "message": hex(e.to_string().as_bytes())}})
        }
    }
}
