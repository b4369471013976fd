//! Transfers that reached a flow's deposit address. Every one is recorded on the flow, counted
//! or not, so that money sent late, twice or in the wrong token is never lost from view: the
//! merchant sees it on the flow and in a `flow.deposit.received` event and can refund it.
//! Amounts are in the token's base units, as decimal strings (they can exceed `u64`).

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// The zero address stands for a chain's native token, as in settlements.
pub const NATIVE_TOKEN: &str = "0x0000000000000000000000000000000000000000";

/// One confirmed transfer to a flow's deposit address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DepositTransfer {
    pub chain_id: String,
    /// The ERC-20 contract, or the zero address for the native token.
    pub token_address: String,
    pub tx_hash: String,
    /// The log's index in its block for a token transfer; absent for a native transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    pub amount: String,
    pub block_number: u64,
    /// Whether it counts towards the flow's amount.
    pub counted: bool,
    /// Why it does not count: `flow_settled`, `flow_final` (cancelled, expired, failed),
    /// `source_changed` (re-attached as a wallet), `not_quoted`, `wrong_chain`, `wrong_token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub recorded_at: Timestamp,
}

/// A transfer as the chain shows it, before the flow has judged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTransfer {
    pub chain_id: String,
    pub token_address: String,
    pub tx_hash: String,
    pub log_index: Option<u64>,
    pub amount: u128,
    pub block_number: u64,
}

impl ObservedTransfer {
    /// The same transfer as one already recorded (a log is unique by transaction and index).
    pub fn is(&self, recorded: &DepositTransfer) -> bool {
        self.chain_id == recorded.chain_id
            && self.tx_hash.eq_ignore_ascii_case(&recorded.tx_hash)
            && self.log_index == recorded.log_index
    }

    pub fn record(&self, reason: Option<&'static str>, now: Timestamp) -> DepositTransfer {
        DepositTransfer {
            chain_id: self.chain_id.clone(),
            token_address: self.token_address.clone(),
            tx_hash: self.tx_hash.clone(),
            log_index: self.log_index,
            amount: self.amount.to_string(),
            block_number: self.block_number,
            counted: reason.is_none(),
            reason: reason.map(str::to_owned),
            recorded_at: now,
        }
    }
}

/// The sum of the counted transfers, in base units.
pub fn counted_total(deposits: &[DepositTransfer]) -> u128 {
    deposits
        .iter()
        .filter(|d| d.counted)
        .map(|d| d.amount.parse::<u128>().unwrap_or(0))
        .fold(0, u128::saturating_add)
}
