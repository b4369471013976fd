//! A small client of Solana's JSON-RPC (https://solana.com/docs/rpc/http): the methods a
//! payment needs, over the same JSON-RPC 2.0 transport as the EVM client. Shapes, from the
//! reference: `getLatestBlockhash` → `{context, value: {blockhash, lastValidBlockHeight}}`;
//! `getBalance` → `{context, value}`; `getTokenAccountBalance` → `{context, value: {amount,
//! decimals, …}}` (an error for an account that does not exist); `getSignatureStatuses` →
//! `{context, value: [null | {slot, confirmations, err, confirmationStatus}]}`, at most 256
//! signatures a call; `getTransaction` → `null` or `{slot, meta: {err, preBalances,
//! postBalances, preTokenBalances, postTokenBalances}, transaction: {message: {accountKeys}}}`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::evm::{RpcError, RpcResult};

/// Signatures per `getSignatureStatuses` call: the RPC's limit.
pub const STATUS_BATCH: usize = 256;

pub struct SolanaRpc {
    transport: crate::EvmRpc,
    /// `finalized` or `confirmed`: what counts as settled.
    commitment: String,
}

/// A recent blockhash and the last block height at which a transaction made on it can land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentBlockhash {
    pub blockhash: [u8; 32],
    pub last_valid_block_height: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureStatus {
    pub slot: u64,
    /// `None` once the block is finalized.
    pub confirmations: Option<u64>,
    /// The error of a transaction that failed in its block.
    pub err: Option<Value>,
    pub confirmation_status: Option<String>,
}

/// What a mined transaction did, as `getTransaction` (`json` encoding) tells it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    pub slot: u64,
    pub meta: TransactionMeta,
    pub transaction: TransactionBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionMeta {
    pub err: Option<Value>,
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
    #[serde(default)]
    pub pre_token_balances: Vec<TokenBalance>,
    #[serde(default)]
    pub post_token_balances: Vec<TokenBalance>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenBalance {
    pub account_index: usize,
    pub mint: String,
    #[serde(default)]
    pub owner: Option<String>,
    pub ui_token_amount: TokenAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TokenAmount {
    /// Base units, as decimal text.
    pub amount: String,
    pub decimals: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionBody {
    pub signatures: Vec<String>,
    pub message: MessageView,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub account_keys: Vec<String>,
}

fn parse<T: serde::de::DeserializeOwned>(method: &str, value: Value) -> RpcResult<T> {
    serde_json::from_value(value).map_err(|e| RpcError::Malformed(format!("{method}: {e}")))
}

impl SolanaRpc {
    pub fn new(url: &str, commitment: &str, timeout: Duration) -> Self {
        Self {
            transport: crate::EvmRpc::new(url, timeout),
            commitment: commitment.to_owned(),
        }
    }

    fn config(&self) -> Value {
        json!({"commitment": self.commitment})
    }

    /// The genesis hash, base58: the network's identity (spec §10.4).
    pub async fn genesis_hash(&self) -> RpcResult<String> {
        parse(
            "getGenesisHash",
            self.transport.call("getGenesisHash", json!([])).await?,
        )
    }

    /// The newest slot at the configured commitment.
    pub async fn slot(&self) -> RpcResult<u64> {
        self.height("getSlot").await
    }

    /// The block height at the configured commitment: a blockhash expires against it.
    pub async fn block_height(&self) -> RpcResult<u64> {
        self.height("getBlockHeight").await
    }

    /// The newest block height the node has processed: no transaction signed now can be
    /// made on a blockhash younger than this.
    pub async fn processed_block_height(&self) -> RpcResult<u64> {
        let config = json!({"commitment": "processed"});
        parse(
            "getBlockHeight",
            self.transport
                .call("getBlockHeight", json!([config]))
                .await?,
        )
    }

    /// A counter (`getSlot`, `getBlockHeight`) read at the configured commitment.
    async fn height(&self, method: &str) -> RpcResult<u64> {
        parse(
            method,
            self.transport.call(method, json!([self.config()])).await?,
        )
    }

    pub async fn latest_blockhash(&self) -> RpcResult<RecentBlockhash> {
        let value = self
            .transport
            .call("getLatestBlockhash", json!([self.config()]))
            .await?;
        let hash = value["value"]["blockhash"].as_str().unwrap_or_default();
        let blockhash = bs58::decode(hash)
            .into_vec()
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| RpcError::Malformed(format!("getLatestBlockhash: {value}")))?;
        let last_valid_block_height = value["value"]["lastValidBlockHeight"]
            .as_u64()
            .ok_or_else(|| RpcError::Malformed(format!("getLatestBlockhash: {value}")))?;
        Ok(RecentBlockhash {
            blockhash,
            last_valid_block_height,
        })
    }

    /// Lamports held by `key`.
    pub async fn balance(&self, key: &str) -> RpcResult<u64> {
        let value = self
            .transport
            .call("getBalance", json!([key, self.config()]))
            .await?;
        parse("getBalance", value["value"].clone())
    }

    /// The program owning account `key`; `None` when there is no such account.
    pub async fn account_owner(&self, key: &str) -> RpcResult<Option<String>> {
        let info = self
            .transport
            .call(
                "getAccountInfo",
                json!([key, {"encoding": "base64", "commitment": self.commitment}]),
            )
            .await?;
        let value = &info["value"];
        if value.is_null() {
            return Ok(None);
        }
        value["owner"]
            .as_str()
            .map(|o| Some(o.to_owned()))
            .ok_or_else(|| RpcError::Malformed(format!("getAccountInfo: {info}")))
    }

    /// Base units held by the token account `key`; `None` when the account does not exist.
    pub async fn token_account_balance(&self, key: &str) -> RpcResult<Option<u128>> {
        // Read as an account first: a missing account is an answer, not an error.
        if self.account_owner(key).await?.is_none() {
            return Ok(None);
        }
        let value = self
            .transport
            .call("getTokenAccountBalance", json!([key, self.config()]))
            .await?;
        let amount: TokenAmount = parse("getTokenAccountBalance", value["value"].clone())?;
        amount
            .amount
            .parse()
            .map(Some)
            .map_err(|_| RpcError::Malformed(format!("token amount {:?}", amount.amount)))
    }

    /// The statuses of `signatures`, in order, [`STATUS_BATCH`] a call; `None` for one the
    /// node does not know.
    pub async fn signature_statuses(
        &self,
        signatures: &[String],
    ) -> RpcResult<Vec<Option<SignatureStatus>>> {
        let mut statuses = Vec::with_capacity(signatures.len());
        for batch in signatures.chunks(STATUS_BATCH) {
            let value = self
                .transport
                .call(
                    "getSignatureStatuses",
                    json!([batch, {"searchTransactionHistory": true}]),
                )
                .await?;
            let page: Vec<Option<SignatureStatus>> =
                parse("getSignatureStatuses", value["value"].clone())?;
            if page.len() != batch.len() {
                return Err(RpcError::Malformed(
                    "getSignatureStatuses: a short answer".into(),
                ));
            }
            statuses.extend(page);
        }
        Ok(statuses)
    }

    /// The transaction at the configured commitment; `None` while it is not there.
    pub async fn transaction(&self, signature: &str) -> RpcResult<Option<TransactionView>> {
        let config = json!({"encoding": "json", "commitment": self.commitment,
            "maxSupportedTransactionVersion": 0});
        let value = self
            .transport
            .call("getTransaction", json!([signature, config]))
            .await?;
        if value.is_null() {
            return Ok(None);
        }
        parse("getTransaction", value).map(Some)
    }
}
