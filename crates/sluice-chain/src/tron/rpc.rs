//! A small client of a TRON FullNode's HTTP API (`POST {rpc_url}/wallet/<method>` with a JSON
//! body), the API every TRON node and provider serves; TRON's JSON-RPC is off by default and
//! incomplete. Addresses go and come as hex (`41…`, `visible` false), the API's default.
//! A provider's key goes in the `TRON-PRO-API-KEY` header and is never logged or shown.
//!
//! Shapes, from TRON's HTTP API reference (developers.tron.network, "HTTP API"): a block is
//! `{blockID, block_header: {raw_data: {number, parentHash, timestamp}}, transactions: [{txID,
//! raw_data: {contract: [{type, parameter: {value}}]}, ret: [{contractRet}]}]}` (no
//! `transactions` when empty); a transaction's info is `{id, blockNumber, receipt: {result},
//! log: [{address, topics, data}], result?}` (`{}` when unknown).

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum TronRpcError {
    /// Never carries the node's URL (see the EVM client).
    #[error("RPC transport error: {0}")]
    Transport(reqwest::Error),
    #[error("the node answered HTTP {0}")]
    Status(u16),
    #[error("the node refused the call: {0}")]
    Refused(String),
    #[error("unexpected answer: {0}")]
    Malformed(String),
}

impl From<reqwest::Error> for TronRpcError {
    fn from(e: reqwest::Error) -> Self {
        Self::Transport(e.without_url())
    }
}

pub type TronResult<T> = Result<T, TronRpcError>;

pub struct TronRpc {
    http: reqwest::Client,
    url: String,
    api_key: Option<String>,
}

/// A block as `getblockbynum`/`getnowblock` answer it.
#[derive(Debug, Clone, Deserialize)]
pub struct Block {
    #[serde(rename = "blockID")]
    pub block_id: String,
    pub block_header: BlockHeader,
    #[serde(default)]
    pub transactions: Vec<BlockTransaction>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BlockHeader {
    pub raw_data: HeaderRaw,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HeaderRaw {
    /// Absent on block 0.
    #[serde(default)]
    pub number: u64,
    #[serde(rename = "parentHash", default)]
    pub parent_hash: String,
    #[serde(default)]
    pub timestamp: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BlockTransaction {
    #[serde(rename = "txID")]
    pub tx_id: String,
    pub raw_data: TransactionRaw,
    #[serde(default)]
    pub ret: Vec<Ret>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TransactionRaw {
    #[serde(default)]
    pub contract: Vec<ContractJson>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ContractJson {
    #[serde(rename = "type")]
    pub kind: String,
    pub parameter: Parameter,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Parameter {
    pub value: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Ret {
    #[serde(rename = "contractRet", default)]
    pub contract_ret: Option<String>,
}

/// `gettransactioninfobyid` / one item of `gettransactioninfobyblocknum`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TransactionInfo {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "blockNumber", default)]
    pub block_number: u64,
    #[serde(default)]
    pub receipt: Receipt,
    #[serde(default)]
    pub log: Vec<Log>,
    /// `FAILED` when the transaction failed; absent on success.
    #[serde(default)]
    pub result: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Receipt {
    /// `SUCCESS`, `REVERT`, `OUT_OF_ENERGY`, …; absent for a plain TRX transfer.
    #[serde(default)]
    pub result: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Log {
    /// The contract's 20 bytes in hex, without the `41` prefix.
    pub address: String,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub data: String,
}

impl TronRpc {
    pub fn new(url: &str, api_key: Option<String>, timeout: Duration) -> Self {
        crate::ensure_tls();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .expect("an HTTP client");
        Self {
            http,
            url: url.trim_end_matches('/').to_owned(),
            api_key,
        }
    }

    /// `POST /wallet/<method>` with `body`; an answer with an `Error` field is a refusal.
    pub async fn call<T: DeserializeOwned>(&self, method: &str, body: Value) -> TronResult<T> {
        let mut request = self.http.post(format!("{}/wallet/{method}", self.url));
        if let Some(key) = &self.api_key {
            request = request.header("TRON-PRO-API-KEY", key);
        }
        let answer = request.json(&body).send().await?;
        let status = answer.status();
        if !status.is_success() {
            return Err(TronRpcError::Status(status.as_u16()));
        }
        let value: Value = answer.json().await?;
        if let Some(error) = value.get("Error").and_then(Value::as_str) {
            return Err(TronRpcError::Refused(error.to_owned()));
        }
        serde_json::from_value(value).map_err(|e| TronRpcError::Malformed(format!("{method}: {e}")))
    }

    pub async fn now_block(&self) -> TronResult<Block> {
        self.call("getnowblock", json!({})).await
    }

    /// The block at `number`, or `None` above the head (the node answers `{}`).
    pub async fn block(&self, number: u64) -> TronResult<Option<Block>> {
        let value: Value = self.call("getblockbynum", json!({"num": number})).await?;
        if value.get("blockID").is_none() {
            return Ok(None);
        }
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| TronRpcError::Malformed(format!("getblockbynum: {e}")))
    }

    /// Every transaction's info in block `number` (its contract results and logs).
    pub async fn block_infos(&self, number: u64) -> TronResult<Vec<TransactionInfo>> {
        let value: Value = self
            .call("gettransactioninfobyblocknum", json!({"num": number}))
            .await?;
        match value {
            // An empty block answers `{}` rather than `[]`.
            Value::Object(map) if map.is_empty() => Ok(Vec::new()),
            other => serde_json::from_value(other)
                .map_err(|e| TronRpcError::Malformed(format!("gettransactioninfobyblocknum: {e}"))),
        }
    }

    /// The transaction's info, or `None` while it is unknown or unmined (`{}`).
    pub async fn transaction_info(&self, tx_id: &str) -> TronResult<Option<TransactionInfo>> {
        let info: TransactionInfo = self
            .call("gettransactioninfobyid", json!({"value": tx_id}))
            .await?;
        Ok((!info.id.is_empty()).then_some(info))
    }
}

impl TronRpc {
    /// TRX held by `address`, in sun (`getaccount`; an account never funded answers `{}`).
    pub async fn trx_balance(&self, address: &super::TronAddress) -> TronResult<u128> {
        let account: Value = self
            .call("getaccount", json!({"address": address.to_hex()}))
            .await?;
        Ok(account["balance"].as_u64().map_or(0, u128::from))
    }

    /// `owner`'s balance of the TRC-20 `token`, read with a constant call of `balanceOf`.
    pub async fn token_balance(
        &self,
        owner: &super::TronAddress,
        token: &super::TronAddress,
    ) -> TronResult<u128> {
        let parameter = format!(
            "{:0>64}",
            data_encoding::HEXLOWER.encode(&owner.evm_bytes())
        );
        let answer: Value = self
            .call(
                "triggerconstantcontract",
                json!({"owner_address": owner.to_hex(), "contract_address": token.to_hex(),
                       "function_selector": "balanceOf(address)", "parameter": parameter}),
            )
            .await?;
        let word = answer["constant_result"][0].as_str().unwrap_or_default();
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(word.as_bytes())
            .map_err(|e| TronRpcError::Malformed(format!("balanceOf: {e}")))?;
        if bytes.len() != 32 || bytes[..16].iter().any(|&b| b != 0) {
            return Err(TronRpcError::Malformed(format!(
                "balanceOf answered {word:?}"
            )));
        }
        Ok(u128::from_be_bytes(
            bytes[16..].try_into().expect("16 bytes"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_with_a_trx_transfer_parses() {
        // The shape of TRON's HTTP API reference (getblockbynum), trimmed.
        let block: Block = serde_json::from_value(json!({
            "blockID": "0000000003d090c0b5c1e3cbd3e4d5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c",
            "block_header": {"raw_data": {"number": 64000192, "txTrieRoot": "00", "witness_address": "41aa", "parentHash": "0000000003d090bf00", "version": 30, "timestamp": 1_700_000_000_000i64}, "witness_signature": "ab"},
            "transactions": [{
                "ret": [{"contractRet": "SUCCESS"}],
                "signature": ["00"],
                "txID": "aa11",
                "raw_data": {"contract": [{"parameter": {"value": {"amount": 25_000_000, "owner_address": "41bb", "to_address": "41cc"}, "type_url": "type.googleapis.com/protocol.TransferContract"}, "type": "TransferContract"}],
                    "ref_block_bytes": "90be", "ref_block_hash": "0011223344556677", "expiration": 1_700_000_060_000i64, "timestamp": 1_700_000_000_000i64},
                "raw_data_hex": "0a02"
            }]
        }))
        .unwrap();
        assert_eq!(block.block_header.raw_data.number, 64_000_192);
        let tx = &block.transactions[0];
        assert_eq!(tx.raw_data.contract[0].kind, "TransferContract");
        assert_eq!(
            tx.raw_data.contract[0].parameter.value["amount"],
            25_000_000
        );
        assert_eq!(tx.ret[0].contract_ret.as_deref(), Some("SUCCESS"));
        let empty: Block = serde_json::from_value(
            json!({"blockID": "00", "block_header": {"raw_data": {"timestamp": 0}}}),
        )
        .unwrap();
        assert!(
            empty.transactions.is_empty(),
            "block 0 and empty blocks have no transactions"
        );
    }

    #[test]
    fn an_unknown_transaction_has_no_info() {
        let info: TransactionInfo = serde_json::from_value(json!({})).unwrap();
        assert!(info.id.is_empty());
        let failed: TransactionInfo = serde_json::from_value(json!({"id": "aa", "blockNumber": 7, "receipt": {"result": "REVERT"}, "result": "FAILED"})).unwrap();
        assert_eq!(failed.receipt.result.as_deref(), Some("REVERT"));
        assert_eq!(failed.result.as_deref(), Some("FAILED"));
    }
}
