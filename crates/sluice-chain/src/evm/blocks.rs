//! Reading whole blocks for the scan: every ERC-20 `Transfer` of a set of token contracts
//! over a block range in one `eth_getLogs`, and a block with its transactions (native
//! transfers, and the hashes of watched payments). Neither call names a recipient or a hash,
//! so their number does not depend on how much is watched; matching is in memory.

use serde_json::{Value, json};

use super::erc20::{self, TRANSFER_TOPIC};
use super::rpc::{EvmRpc, RpcError, RpcResult, hex_quantity, parse_quantity};

/// One ERC-20 `Transfer` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenTransfer {
    /// The token contract, lower case.
    pub token: String,
    /// The recipient, lower case.
    pub to: String,
    pub amount: u128,
    pub tx_hash: String,
    pub log_index: u64,
    pub block_number: u64,
    pub block_hash: String,
}

/// A block and its transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub number: u64,
    pub hash: String,
    pub parent_hash: String,
    pub transactions: Vec<ValueTransfer>,
}

/// A transaction with its own native value (not value moved by contract calls inside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueTransfer {
    pub tx_hash: String,
    /// The recipient, lower case; `None` for a contract creation.
    pub to: Option<String>,
    pub value: u128,
}

fn text(v: &Value, field: &str) -> RpcResult<String> {
    v[field]
        .as_str()
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| RpcError::Malformed(format!("missing {field}")))
}

fn number(v: &Value, field: &str) -> RpcResult<u64> {
    u64::try_from(parse_quantity(&v[field])?)
        .map_err(|_| RpcError::Malformed(format!("{field} out of range")))
}

/// The address in a 32-byte topic (its last 20 bytes).
fn topic_address(topic: &str) -> Option<String> {
    let digits = topic.strip_prefix("0x")?;
    (digits.len() == 64).then(|| format!("0x{}", digits[24..].to_ascii_lowercase()))
}

fn token_transfer(log: &Value) -> RpcResult<Option<TokenTransfer>> {
    let topics: Vec<&str> = log["topics"]
        .as_array()
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    // A non-standard token may index differently; only the standard three-topic form counts.
    let [topic0, _from, to] = topics[..] else {
        return Ok(None);
    };
    if !topic0.eq_ignore_ascii_case(TRANSFER_TOPIC) || log["removed"].as_bool() == Some(true) {
        return Ok(None);
    }
    let Some(to) = topic_address(to) else {
        return Ok(None);
    };
    let Ok(amount) = parse_quantity(&Value::String(erc20::trim_word(
        log["data"].as_str().unwrap_or("0x"),
    ))) else {
        return Ok(None); // more than u128: no real token supply; not a payment we can count
    };
    Ok(Some(TokenTransfer {
        token: text(log, "address")?,
        to,
        amount,
        tx_hash: text(log, "transactionHash")?,
        log_index: number(log, "logIndex")?,
        block_number: number(log, "blockNumber")?,
        block_hash: text(log, "blockHash")?,
    }))
}

impl EvmRpc {
    /// Every `Transfer` of `tokens` in blocks `from..=to`, in one call.
    pub async fn token_transfers(
        &self,
        tokens: &[String],
        from: u64,
        to: u64,
    ) -> RpcResult<Vec<TokenTransfer>> {
        if tokens.is_empty() {
            return Ok(Vec::new());
        }
        let filter = json!({
            "fromBlock": hex_quantity(u128::from(from)),
            "toBlock": hex_quantity(u128::from(to)),
            "address": tokens,
            "topics": [TRANSFER_TOPIC],
        });
        let logs = self.call("eth_getLogs", json!([filter])).await?;
        let logs = logs
            .as_array()
            .ok_or_else(|| RpcError::Malformed("eth_getLogs did not answer a list".into()))?;
        let mut out = Vec::new();
        for log in logs {
            out.extend(token_transfer(log)?);
        }
        Ok(out)
    }

    /// The canonical block at `number` with its transactions, if the chain has reached it.
    pub async fn block_with_transactions(&self, number: u64) -> RpcResult<Option<Block>> {
        let block = self
            .call(
                "eth_getBlockByNumber",
                json!([hex_quantity(u128::from(number)), true]),
            )
            .await?;
        if block.is_null() {
            return Ok(None);
        }
        let transactions = block["transactions"]
            .as_array()
            .map(|txs| {
                txs.iter()
                    .map(|tx| {
                        Ok(ValueTransfer {
                            tx_hash: text(tx, "hash")?,
                            to: tx["to"].as_str().map(str::to_ascii_lowercase),
                            value: parse_quantity(&tx["value"])?,
                        })
                    })
                    .collect::<RpcResult<Vec<_>>>()
            })
            .transpose()?
            .unwrap_or_default();
        Ok(Some(Block {
            number: self::number(&block, "number")?,
            hash: text(&block, "hash")?,
            parent_hash: text(&block, "parentHash")?,
            transactions,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_standard_transfer_log_and_skips_others() {
        let log = json!({
            "address": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            "topics": [TRANSFER_TOPIC, format!("0x{:0>64}", "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"), format!("0x{:0>64}", "9858EfFD232B4033E47d90003D41EC34EcaEda94")],
            "data": format!("0x{:064x}", 25_000_000u128),
            "transactionHash": format!("0x{}", "ab".repeat(32)),
            "logIndex": "0x2", "blockNumber": "0x10", "blockHash": format!("0x{}", "cd".repeat(32)),
        });
        let t = token_transfer(&log).unwrap().unwrap();
        assert_eq!(t.to, "0x9858effd232b4033e47d90003d41ec34ecaeda94");
        assert_eq!((t.amount, t.log_index, t.block_number), (25_000_000, 2, 16));
        let mut removed = log.clone();
        removed["removed"] = json!(true);
        assert_eq!(token_transfer(&removed).unwrap(), None);
        let mut indexed_amount = log;
        indexed_amount["topics"]
            .as_array_mut()
            .unwrap()
            .push(json!("0x01"));
        assert_eq!(token_transfer(&indexed_amount).unwrap(), None);
    }
}
