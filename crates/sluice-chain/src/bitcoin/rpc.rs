//! A minimal Bitcoin Core JSON-RPC client: the calls the Bitcoin family needs, typed. Amounts
//! arrive as JSON numbers in whole coins (`50.00000000`); they are read from their text, never
//! through floating point, into satoshis.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// How the node is logged in to. The password or cookie is never logged or shown.
#[derive(Clone)]
pub enum BitcoinAuth {
    UserPassword {
        user: String,
        password: String,
    },
    /// The node's `.cookie` file, read again at every call: the node writes a new one each
    /// time it starts.
    CookieFile(PathBuf),
}

impl std::fmt::Debug for BitcoinAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UserPassword { user, .. } => write!(f, "UserPassword({user}, ***)"),
            Self::CookieFile(path) => write!(f, "CookieFile({})", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BitcoinRpcError {
    /// Never carries the node's URL (see the EVM client).
    #[error("RPC transport error: {0}")]
    Transport(reqwest::Error),
    #[error("the node refused the credentials (rpc_user/rpc_password or rpc_cookie_file)")]
    Unauthorized,
    #[error("cannot read the node's cookie file {0}: {1}")]
    Cookie(String, std::io::Error),
    #[error("RPC error {code}: {message}")]
    Rpc { code: i64, message: String },
    #[error("unexpected RPC answer: {0}")]
    Malformed(String),
}

impl From<reqwest::Error> for BitcoinRpcError {
    fn from(e: reqwest::Error) -> Self {
        Self::Transport(e.without_url())
    }
}

pub type BitcoinResult<T> = Result<T, BitcoinRpcError>;

pub struct BitcoinRpc {
    http: reqwest::Client,
    url: String,
    auth: BitcoinAuth,
    next_id: AtomicU64,
}

/// A block as `getblock <hash> 2` describes it, reduced to what settlement reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub hash: String,
    pub height: u64,
    pub previous: Option<String>,
    pub transactions: Vec<Transaction>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub txid: String,
    pub outputs: Vec<Output>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub index: u32,
    pub value_sat: u64,
    /// `scriptPubKey`, the bytes outputs are matched by (see
    /// `sluice_domain::address::bitcoin_output_script`).
    pub script: Vec<u8>,
}

impl BitcoinRpc {
    pub fn new(url: impl Into<String>, auth: BitcoinAuth, timeout: Duration) -> Self {
        crate::ensure_tls();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .expect("an HTTP client");
        Self {
            http,
            url: url.into(),
            auth,
            next_id: AtomicU64::new(1),
        }
    }

    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> BitcoinResult<T> {
        self.call_within(method, params, None).await
    }

    /// A call given `timeout` instead of the client's (a UTXO set scan takes minutes).
    pub async fn call_within<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
        timeout: Option<Duration>,
    ) -> BitcoinResult<T> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "1.0", "id": id, "method": method, "params": params});
        let (user, password) = self.credentials()?;
        let mut request = self.http.post(&self.url).basic_auth(user, Some(password));
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let answer = request.json(&body).send().await?;
        if answer.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(BitcoinRpcError::Unauthorized);
        }
        // Bitcoin Core answers RPC errors with HTTP 500 and the error in the body.
        let text = answer.text().await?;
        #[derive(Deserialize)]
        struct Envelope<'a> {
            #[serde(borrow)]
            result: Option<&'a RawValue>,
            error: Option<RpcErrorBody>,
        }
        #[derive(Deserialize)]
        struct RpcErrorBody {
            code: i64,
            message: String,
        }
        let malformed = |e: serde_json::Error| BitcoinRpcError::Malformed(format!("{method}: {e}"));
        let envelope: Envelope = serde_json::from_str(&text).map_err(malformed)?;
        if let Some(e) = envelope.error {
            return Err(BitcoinRpcError::Rpc {
                code: e.code,
                message: e.message,
            });
        }
        // Some calls answer `null` (invalidateblock); `T` says whether that is acceptable.
        let result = envelope.result.map_or("null", RawValue::get);
        serde_json::from_str(result).map_err(malformed)
    }

    fn credentials(&self) -> BitcoinResult<(String, String)> {
        match &self.auth {
            BitcoinAuth::UserPassword { user, password } => Ok((user.clone(), password.clone())),
            BitcoinAuth::CookieFile(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| BitcoinRpcError::Cookie(path.display().to_string(), e))?;
                let (user, password) = text.trim().split_once(':').ok_or_else(|| {
                    BitcoinRpcError::Malformed(format!("{}: not user:password", path.display()))
                })?;
                Ok((user.to_owned(), password.to_owned()))
            }
        }
    }

    /// The network the node serves: `main`, `test`, `signet` or `regtest`.
    pub async fn network(&self) -> BitcoinResult<String> {
        #[derive(Deserialize)]
        struct Info {
            chain: String,
        }
        let info: Info = self.call("getblockchaininfo", json!([])).await?;
        Ok(info.chain)
    }

    /// What is wrong with the node's transaction index (`getindexinfo`), if anything: wallet
    /// payments are looked up by txid with `getrawtransaction`, which needs `txindex=1`.
    pub async fn transaction_index_problem(&self) -> BitcoinResult<Option<&'static str>> {
        #[derive(Deserialize)]
        struct Index {
            synced: bool,
        }
        #[derive(Deserialize)]
        struct Indexes {
            txindex: Option<Index>,
        }
        let indexes: Indexes = self.call("getindexinfo", json!([])).await?;
        Ok(match indexes.txindex {
            None => Some("without a transaction index (start the node with txindex=1)"),
            Some(Index { synced: false }) => Some("still building its transaction index"),
            Some(_) => None,
        })
    }

    pub async fn block_count(&self) -> BitcoinResult<u64> {
        self.call("getblockcount", json!([])).await
    }

    /// The hash of the block at `height` on the node's best chain; `None` above its tip.
    pub async fn block_hash(&self, height: u64) -> BitcoinResult<Option<String>> {
        match self.call("getblockhash", json!([height])).await {
            Ok(hash) => Ok(Some(hash)),
            // -8: "Block height out of range".
            Err(BitcoinRpcError::Rpc { code: -8, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The height of a block of the best chain; `None` for a block that left it (a reorg).
    pub async fn block_height(&self, hash: &str) -> BitcoinResult<Option<u64>> {
        #[derive(Deserialize)]
        struct Header {
            height: u64,
            /// -1 when the block is not in the best chain.
            confirmations: i64,
        }
        let header: Header = self.call("getblockheader", json!([hash])).await?;
        Ok((header.confirmations > 0).then_some(header.height))
    }

    pub async fn block(&self, hash: &str) -> BitcoinResult<Block> {
        let raw: RawBlock = self.call("getblock", json!([hash, 2])).await?;
        raw.into_block()
    }
}

#[derive(Deserialize)]
struct RawBlock {
    hash: String,
    height: u64,
    #[serde(rename = "previousblockhash")]
    previous: Option<String>,
    tx: Vec<RawTransaction>,
}

#[derive(Deserialize)]
struct RawTransaction {
    txid: String,
    vout: Vec<RawOutput>,
}

#[derive(Deserialize)]
struct RawOutput {
    n: u32,
    value: Box<RawValue>,
    #[serde(rename = "scriptPubKey")]
    script: RawScript,
}

#[derive(Deserialize)]
struct RawScript {
    hex: String,
}

impl RawBlock {
    fn into_block(self) -> BitcoinResult<Block> {
        let transactions = self
            .tx
            .into_iter()
            .map(|tx| {
                let outputs = tx
                    .vout
                    .into_iter()
                    .map(|o| {
                        Ok(Output {
                            index: o.n,
                            value_sat: satoshis(o.value.get())?,
                            script: decode_hex(&o.script.hex)?,
                        })
                    })
                    .collect::<BitcoinResult<_>>()?;
                Ok(Transaction {
                    txid: tx.txid,
                    outputs,
                })
            })
            .collect::<BitcoinResult<_>>()?;
        Ok(Block {
            hash: self.hash,
            height: self.height,
            previous: self.previous,
            transactions,
        })
    }
}

/// Whole coins as the node writes them (`0.12345678`) to satoshis, exactly.
pub fn satoshis(text: &str) -> BitcoinResult<u64> {
    let exact = sluice_domain::money::parse_decimal(text).filter(|&(_, scale)| scale <= 8);
    exact
        .and_then(|_| sluice_domain::money::to_base_units(text, 8))
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(|| BitcoinRpcError::Malformed(format!("amount {text:?}")))
}

/// Hex as the node writes it (scripts, raw transactions).
pub(super) fn decode_hex(text: &str) -> BitcoinResult<Vec<u8>> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .map_err(|e| BitcoinRpcError::Malformed(format!("hex {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_exactly() {
        assert_eq!(satoshis("50.00000000").unwrap(), 5_000_000_000);
        assert_eq!(satoshis("0.12345678").unwrap(), 12_345_678);
        assert_eq!(
            satoshis("20999999.97690000").unwrap(),
            2_099_999_997_690_000
        );
        assert!(satoshis("0.000000001").is_err(), "finer than a satoshi");
        assert!(satoshis("-1").is_err());
    }

    #[test]
    fn the_password_is_never_shown() {
        let auth = BitcoinAuth::UserPassword {
            user: "sluice".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
