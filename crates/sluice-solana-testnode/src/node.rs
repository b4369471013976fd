//! A Solana JSON-RPC node for tests: [`SolanaRuntime`] behind the HTTP methods Sluice calls,
//! answering in the shapes of Solana's RPC reference (https://solana.com/docs/rpc/http):
//! `getGenesisHash`, `getSlot`, `getBlockHeight`, `getLatestBlockhash`, `getBalance`,
//! `getAccountInfo`, `getTokenAccountBalance`, `sendTransaction`, `getSignatureStatuses` and
//! `getTransaction`. No validator runs: slots advance only when a test says so, one block per
//! slot, and a transaction sent lands in the current slot. Commitment follows the slot count:
//! `processed` at once, `confirmed` one slot later, `finalized` [`FINALITY`] slots later. A
//! blockhash stays valid for [`BLOCKHASH_BLOCKS`] blocks, as on Solana.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

use crate::{Outcome, SolanaRuntime};

/// Slots after which a transaction's block is `finalized` here (Solana: about 32).
pub const FINALITY: u64 = 32;
/// Blocks for which a blockhash is accepted (Solana: 150).
pub const BLOCKHASH_BLOCKS: u64 = 150;

#[derive(Clone)]
pub struct SolanaNode {
    pub url: String,
    state: Arc<Mutex<Ledger>>,
}

struct Ledger {
    runtime: SolanaRuntime,
    genesis: [u8; 32],
    slot: u64,
    last_valid_height: u64,
    landed: HashMap<[u8; 64], (u64, Outcome)>,
    calls: BTreeMap<String, u64>,
}

fn b58(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}

/// A JSON-RPC error object, as the node sends it.
fn rpc_error(code: i64, message: &str) -> Value {
    json!({"code": code, "message": message})
}

impl SolanaNode {
    /// A node for the network whose genesis hash is `genesis`, serving on a free loopback port.
    pub async fn start(genesis: [u8; 32]) -> Self {
        let ledger = Ledger {
            runtime: SolanaRuntime::new(),
            genesis,
            slot: 1,
            last_valid_height: 1 + BLOCKHASH_BLOCKS,
            landed: HashMap::new(),
            calls: BTreeMap::new(),
        };
        let state = Arc::new(Mutex::new(ledger));
        let app = axum::Router::new()
            .route("/", post(rpc))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, state }
    }

    /// Works on the runtime (airdrops, mints, balances) between calls.
    pub fn with_runtime<T>(&self, f: impl FnOnce(&mut SolanaRuntime) -> T) -> T {
        f(&mut self.state.lock().unwrap().runtime)
    }

    /// Produces `n` slots (one block each). A blockhash older than [`BLOCKHASH_BLOCKS`] blocks
    /// stops being accepted and a new one is handed out.
    pub fn advance(&self, n: u64) {
        let mut ledger = self.state.lock().unwrap();
        ledger.slot += n;
        let slot = ledger.slot;
        ledger.runtime.warp_to_slot(slot);
        if slot > ledger.last_valid_height {
            ledger.runtime.expire_blockhash();
            ledger.last_valid_height = slot + BLOCKHASH_BLOCKS;
        }
    }

    pub fn slot(&self) -> u64 {
        self.state.lock().unwrap().slot
    }

    /// Calls by method since the last [`Self::reset_calls`].
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.state.lock().unwrap().calls.clone()
    }

    pub fn reset_calls(&self) {
        self.state.lock().unwrap().calls.clear();
    }
}

async fn rpc(State(state): State<Arc<Mutex<Ledger>>>, Json(request): Json<Value>) -> Json<Value> {
    let method = request["method"].as_str().unwrap_or_default().to_owned();
    let params = request["params"].as_array().cloned().unwrap_or_default();
    let mut ledger = state.lock().unwrap();
    *ledger.calls.entry(method.clone()).or_default() += 1;
    let answer = ledger.answer(&method, &params);
    let mut reply = json!({"jsonrpc": "2.0", "id": request["id"]});
    match answer {
        Ok(result) => reply["result"] = result,
        Err(error) => reply["error"] = error,
    }
    Json(reply)
}

/// The first parameter as a 32-byte key.
fn key_param(params: &[Value]) -> Result<[u8; 32], Value> {
    params
        .first()
        .and_then(Value::as_str)
        .and_then(|s| bs58::decode(s).into_vec().ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| rpc_error(-32602, "Invalid param: WrongSize"))
}

/// The commitment a call asks for (its config object is the last parameter); `finalized` by
/// default, as on Solana.
fn commitment(params: &[Value]) -> &str {
    params
        .last()
        .and_then(|c| c["commitment"].as_str())
        .unwrap_or("finalized")
}

impl Ledger {
    fn context(&self) -> Value {
        json!({"slot": self.slot, "apiVersion": "2.2.0"})
    }

    /// The newest slot a commitment level has reached.
    fn slot_at(&self, commitment: &str) -> u64 {
        match commitment {
            "processed" => self.slot,
            "confirmed" => self.slot.saturating_sub(1),
            _ => self.slot.saturating_sub(FINALITY),
        }
    }

    fn answer(&mut self, method: &str, params: &[Value]) -> Result<Value, Value> {
        match method {
            "getGenesisHash" => Ok(json!(b58(&self.genesis))),
            "getSlot" | "getBlockHeight" => Ok(json!(self.slot_at(commitment(params)))),
            "getLatestBlockhash" => Ok(json!({"context": self.context(), "value": {
                "blockhash": b58(&self.runtime.latest_blockhash()),
                "lastValidBlockHeight": self.last_valid_height}})),
            "getBalance" => {
                let key = key_param(params)?;
                Ok(json!({"context": self.context(), "value": self.runtime.balance(&key)}))
            }
            "getAccountInfo" => self.account_info(params),
            "getTokenAccountBalance" => self.token_account_balance(params),
            "sendTransaction" => self.send_transaction(params),
            "getSignatureStatuses" => self.signature_statuses(params),
            "getTransaction" => self.transaction(params),
            other => Err(rpc_error(-32601, &format!("Method not found: {other}"))),
        }
    }

    fn account_info(&self, params: &[Value]) -> Result<Value, Value> {
        let key = key_param(params)?;
        let value = self
            .runtime
            .account(&key)
            .map(|(lamports, owner, data, executable)| {
                json!({"data": [data_encoding::BASE64.encode(&data), "base64"],
                "executable": executable, "lamports": lamports, "owner": b58(&owner),
                "rentEpoch": u64::MAX, "space": data.len()})
            });
        Ok(json!({"context": self.context(), "value": value}))
    }

    fn token_account_balance(&self, params: &[Value]) -> Result<Value, Value> {
        let key = key_param(params)?;
        let (_, owner, data, _) = self
            .runtime
            .account(&key)
            .ok_or_else(|| rpc_error(-32602, "Invalid param: could not find account"))?;
        if b58(&owner) != crate::TOKEN_PROGRAM || data.len() != 165 {
            return Err(rpc_error(-32602, "Invalid param: not a Token account"));
        }
        let amount = u64::from_le_bytes(data[64..72].try_into().expect("8 bytes"));
        let mint: [u8; 32] = data[..32].try_into().expect("32 bytes");
        let decimals = self
            .runtime
            .account(&mint)
            .and_then(|(_, _, m, _)| m.get(44).copied())
            .unwrap_or(0);
        Ok(json!({"context": self.context(), "value": ui_amount(amount, decimals)}))
    }

    /// `sendTransaction` with base64 encoding: preflight (unless `skipPreflight`) refuses what
    /// would fail, as a node's simulation does; what passes lands in the current slot.
    fn send_transaction(&mut self, params: &[Value]) -> Result<Value, Value> {
        let config = params.get(1).cloned().unwrap_or(json!({}));
        if config["encoding"].as_str() != Some("base64") {
            return Err(rpc_error(
                -32602,
                "this node reads base64 transactions only",
            ));
        }
        let wire = params
            .first()
            .and_then(Value::as_str)
            .and_then(|s| data_encoding::BASE64.decode(s.as_bytes()).ok())
            .ok_or_else(|| rpc_error(-32602, "invalid transaction: not base64"))?;
        let failed = |e: String| rpc_error(-32002, &format!("Transaction simulation failed: {e}"));
        if config["skipPreflight"].as_bool() != Some(true) {
            self.runtime.simulate(&wire).map_err(failed)?;
        }
        let outcome = self.runtime.execute(&wire).map_err(failed)?;
        let signature = b58(&outcome.signature);
        self.landed.insert(outcome.signature, (self.slot, outcome));
        Ok(json!(signature))
    }

    fn landed(&self, signature: &str) -> Option<&(u64, Outcome)> {
        let bytes: [u8; 64] = bs58::decode(signature).into_vec().ok()?.try_into().ok()?;
        self.landed.get(&bytes)
    }

    fn signature_statuses(&self, params: &[Value]) -> Result<Value, Value> {
        let signatures = params
            .first()
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if signatures.len() > 256 {
            return Err(rpc_error(-32602, "Too many inputs provided; max 256"));
        }
        let statuses: Vec<Value> = signatures
            .iter()
            .map(|s| {
                let (slot, outcome) = self.landed(s.as_str().unwrap_or_default())?;
                let finalized = *slot <= self.slot_at("finalized");
                let level = if finalized {
                    "finalized"
                } else if *slot <= self.slot_at("confirmed") {
                    "confirmed"
                } else {
                    "processed"
                };
                let confirmations = (!finalized).then(|| self.slot - slot);
                Some(
                    json!({"slot": slot, "confirmations": confirmations, "err": outcome.err,
                    "status": status(outcome), "confirmationStatus": level}),
                )
            })
            .map(|s| s.unwrap_or(Value::Null))
            .collect();
        Ok(json!({"context": self.context(), "value": statuses}))
    }

    /// `getTransaction` with `json` encoding: `null` until the block reaches the asked
    /// commitment (`processed` is not accepted by this method, as on Solana).
    fn transaction(&self, params: &[Value]) -> Result<Value, Value> {
        let wanted = commitment(params);
        if wanted == "processed" {
            return Err(rpc_error(
                -32602,
                "Method does not support commitment below `confirmed`",
            ));
        }
        let signature = params.first().and_then(Value::as_str).unwrap_or_default();
        let Some((slot, o)) = self
            .landed(signature)
            .filter(|(s, _)| *s <= self.slot_at(wanted))
        else {
            return Ok(Value::Null);
        };
        let keys: Vec<String> = o.account_keys.iter().map(|k| b58(k)).collect();
        let instructions: Vec<Value> = o
            .instructions
            .iter()
            .map(|(program, accounts, data)| {
                json!({"programIdIndex": program, "accounts": accounts, "data": b58(data),
                    "stackHeight": null})
            })
            .collect();
        let tokens = |list: &[crate::TokenBalance]| -> Vec<Value> {
            list.iter()
                .map(|t| {
                    json!({"accountIndex": t.account_index, "mint": b58(&t.mint),
                    "owner": b58(&t.owner), "programId": crate::TOKEN_PROGRAM,
                    "uiTokenAmount": ui_amount(t.amount, t.decimals)})
                })
                .collect()
        };
        Ok(json!({
            "slot": slot, "blockTime": 1_700_000_000 + *slot as i64 * 4 / 10, "version": "legacy",
            "meta": {"err": o.err, "status": status(o), "fee": o.fee,
                "preBalances": o.pre_balances, "postBalances": o.post_balances,
                "preTokenBalances": tokens(&o.pre_tokens), "postTokenBalances": tokens(&o.post_tokens),
                "innerInstructions": [], "logMessages": [], "rewards": [],
                "loadedAddresses": {"readonly": [], "writable": []}},
            "transaction": {"signatures": [b58(&o.signature)], "message": {
                "header": {"numRequiredSignatures": o.header[0],
                    "numReadonlySignedAccounts": o.header[1],
                    "numReadonlyUnsignedAccounts": o.header[2]},
                "accountKeys": keys, "recentBlockhash": b58(&o.recent_blockhash),
                "instructions": instructions}}
        }))
    }
}

/// The deprecated-but-still-sent `status` field: `{"Ok": null}` or `{"Err": …}`.
fn status(outcome: &Outcome) -> Value {
    match &outcome.err {
        None => json!({"Ok": null}),
        Some(err) => json!({"Err": err}),
    }
}

/// A token amount as the RPC spells it: base units as text, and the decimal forms.
fn ui_amount(amount: u64, decimals: u8) -> Value {
    let scale = 10u64.pow(u32::from(decimals));
    let text = if decimals == 0 {
        amount.to_string()
    } else {
        let fraction = format!("{:0width$}", amount % scale, width = usize::from(decimals));
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() {
            (amount / scale).to_string()
        } else {
            format!("{}.{fraction}", amount / scale)
        }
    };
    json!({"amount": amount.to_string(), "decimals": decimals,
        "uiAmount": amount as f64 / scale as f64, "uiAmountString": text})
}
