//! A minimal EVM JSON-RPC client. Quantities arrive as `0x`-hex strings and are parsed into
//! `u128`: enough for any balance or fee that can exist on a real chain (a value that does not
//! fit is reported as an error rather than truncated).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// Never carries the node's URL, which may hold a provider's API key: see `From` below.
    #[error("RPC transport error: {0}")]
    Transport(reqwest::Error),
    #[error("RPC error {code}: {message}")]
    Rpc { code: i64, message: String },
    #[error("unexpected RPC answer: {0}")]
    Malformed(String),
}

impl From<reqwest::Error> for RpcError {
    /// reqwest names the URL in its errors, and errors are logged: the URL is dropped here.
    fn from(e: reqwest::Error) -> Self {
        Self::Transport(e.without_url())
    }
}

impl RpcError {
    /// An `eth_estimateGas`/`eth_call` that reverted, as opposed to the node being unreachable.
    pub fn is_execution_error(&self) -> bool {
        matches!(self, Self::Rpc { .. })
    }
}

pub type RpcResult<T> = Result<T, RpcError>;

/// A mined transaction's receipt, reduced to what verification needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub success: bool,
    pub block_number: u64,
    pub block_hash: String,
    pub from: String,
    pub to: Option<String>,
    pub logs: Vec<Log>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Log {
    pub address: String,
    pub topics: Vec<String>,
    pub data: String,
}

/// A transaction as the node reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub from: String,
    pub to: Option<String>,
    pub value: u128,
}

/// A call or transaction to estimate: hex strings as JSON-RPC wants them.
#[derive(Debug, Clone)]
pub struct CallRequest<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub value: u128,
    pub data: &'a str,
}

pub struct EvmRpc {
    http: reqwest::Client,
    url: String,
    next_id: AtomicU64,
}

pub fn parse_quantity(v: &Value) -> RpcResult<u128> {
    let s = v
        .as_str()
        .ok_or_else(|| RpcError::Malformed(format!("expected a hex quantity, got {v}")))?;
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| RpcError::Malformed(format!("not 0x-hex: {s}")))?;
    if digits.is_empty() {
        return Ok(0);
    }
    u128::from_str_radix(digits, 16)
        .map_err(|_| RpcError::Malformed(format!("quantity out of range: {s}")))
}

pub fn hex_quantity(v: u128) -> String {
    format!("0x{v:x}")
}

fn string(v: &Value, field: &str) -> RpcResult<String> {
    v[field]
        .as_str()
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| RpcError::Malformed(format!("missing {field}")))
}

impl EvmRpc {
    pub fn new(url: impl Into<String>, timeout: Duration) -> Self {
        crate::ensure_tls();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .expect("an HTTP client");
        Self {
            http,
            url: url.into(),
            next_id: AtomicU64::new(1),
        }
    }

    pub async fn call(&self, method: &str, params: Value) -> RpcResult<Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let answer: Value = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if let Some(error) = answer.get("error") {
            return Err(RpcError::Rpc {
                code: error["code"].as_i64().unwrap_or_default(),
                message: error["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        answer
            .get("result")
            .cloned()
            .ok_or_else(|| RpcError::Malformed(format!("no result in {answer}")))
    }

    pub async fn chain_id(&self) -> RpcResult<u64> {
        let v = parse_quantity(&self.call("eth_chainId", json!([])).await?)?;
        u64::try_from(v).map_err(|_| RpcError::Malformed("chain ID out of range".into()))
    }

    pub async fn block_number(&self) -> RpcResult<u64> {
        let v = parse_quantity(&self.call("eth_blockNumber", json!([])).await?)?;
        u64::try_from(v).map_err(|_| RpcError::Malformed("block number out of range".into()))
    }

    /// The hash of the canonical block at `number`, if the chain has one.
    pub async fn block_hash(&self, number: u64) -> RpcResult<Option<String>> {
        let block = self
            .call(
                "eth_getBlockByNumber",
                json!([hex_quantity(u128::from(number)), false]),
            )
            .await?;
        if block.is_null() {
            Ok(None)
        } else {
            string(&block, "hash").map(Some)
        }
    }

    /// The latest block's base fee, or `None` on a chain without EIP-1559.
    pub async fn base_fee(&self) -> RpcResult<Option<u128>> {
        let block = self
            .call("eth_getBlockByNumber", json!(["latest", false]))
            .await?;
        match block.get("baseFeePerGas") {
            None | Some(Value::Null) => Ok(None),
            Some(v) => parse_quantity(v).map(Some),
        }
    }

    pub async fn gas_price(&self) -> RpcResult<u128> {
        parse_quantity(&self.call("eth_gasPrice", json!([])).await?)
    }

    pub async fn max_priority_fee(&self) -> RpcResult<u128> {
        parse_quantity(&self.call("eth_maxPriorityFeePerGas", json!([])).await?)
    }

    pub async fn estimate_gas(&self, req: &CallRequest<'_>) -> RpcResult<u128> {
        let tx = json!({"from": req.from, "to": req.to, "value": hex_quantity(req.value), "data": req.data});
        parse_quantity(&self.call("eth_estimateGas", json!([tx])).await?)
    }

    pub async fn pending_nonce(&self, address: &str) -> RpcResult<u64> {
        let v = parse_quantity(
            &self
                .call("eth_getTransactionCount", json!([address, "pending"]))
                .await?,
        )?;
        u64::try_from(v).map_err(|_| RpcError::Malformed("nonce out of range".into()))
    }

    pub async fn balance(&self, address: &str) -> RpcResult<u128> {
        parse_quantity(
            &self
                .call("eth_getBalance", json!([address, "latest"]))
                .await?,
        )
    }

    pub async fn erc20_balance(&self, token: &str, owner: &str) -> RpcResult<u128> {
        let data = super::erc20::balance_of_calldata(owner);
        let result = self
            .call("eth_call", json!([{"to": token, "data": data}, "latest"]))
            .await?;
        parse_quantity(&Value::String(super::erc20::trim_word(
            result.as_str().unwrap_or("0x"),
        )))
    }

    pub async fn transaction(&self, hash: &str) -> RpcResult<Option<Transaction>> {
        let tx = self.call("eth_getTransactionByHash", json!([hash])).await?;
        if tx.is_null() {
            return Ok(None);
        }
        Ok(Some(Transaction {
            from: string(&tx, "from")?,
            to: tx["to"].as_str().map(str::to_ascii_lowercase),
            value: parse_quantity(&tx["value"])?,
        }))
    }

    pub async fn receipt(&self, hash: &str) -> RpcResult<Option<Receipt>> {
        let r = self
            .call("eth_getTransactionReceipt", json!([hash]))
            .await?;
        if r.is_null() {
            return Ok(None);
        }
        let block_number = u64::try_from(parse_quantity(&r["blockNumber"])?)
            .map_err(|_| RpcError::Malformed("block number".into()))?;
        let logs = r["logs"]
            .as_array()
            .map(|logs| {
                logs.iter()
                    .map(|l| {
                        Ok(Log {
                            address: string(l, "address")?,
                            topics: l["topics"]
                                .as_array()
                                .map(|t| {
                                    t.iter()
                                        .filter_map(|x| x.as_str().map(str::to_ascii_lowercase))
                                        .collect()
                                })
                                .unwrap_or_default(),
                            data: l["data"].as_str().unwrap_or("0x").to_ascii_lowercase(),
                        })
                    })
                    .collect::<RpcResult<Vec<_>>>()
            })
            .transpose()?
            .unwrap_or_default();
        Ok(Some(Receipt {
            success: parse_quantity(&r["status"])? == 1,
            block_number,
            block_hash: string(&r, "blockHash")?,
            from: string(&r, "from")?,
            to: r["to"].as_str().map(str::to_ascii_lowercase),
            logs,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn transport_errors_do_not_name_the_url() {
        // A port nothing listens on: bind, learn the port, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let rpc = EvmRpc::new(
            format!("http://127.0.0.1:{port}/v2/provider-api-key"),
            Duration::from_secs(2),
        );
        let e = rpc.block_number().await.unwrap_err();
        assert!(matches!(e, RpcError::Transport(_)), "{e:?}");
        for shown in [e.to_string(), format!("{e:?}")] {
            assert!(!shown.contains("provider-api-key"), "{shown}");
        }
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity(&json!("0x0")).unwrap(), 0);
        assert_eq!(parse_quantity(&json!("0x")).unwrap(), 0);
        assert_eq!(parse_quantity(&json!("0x7a69")).unwrap(), 31337);
        assert!(parse_quantity(&json!("7a69")).is_err());
        assert!(parse_quantity(&json!(format!("0x1{}", "0".repeat(32)))).is_err());
        assert_eq!(hex_quantity(31337), "0x7a69");
    }
}
