//! The flow object (spec §2). Its serde form *is* the wire form: field names, omission of
//! empty optionals and the few always-present `null`s are exactly what the SDK parses.
//! Internal bookkeeping (environment, session token hash, revision) is never serialised.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::chain::ChainName;
use crate::ids::{EnvironmentId, FlowId};
use crate::state::{
    ExecutionState, FlowMode, RiskState, SettlementState, SettlementStrategy, SourceType,
};
use crate::time::Timestamp;
use crate::token::TokenHash;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    pub id: FlowId,
    pub mode: FlowMode,
    pub amount: String,
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memo: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub execution_state: ExecutionState,
    pub settlement_state: SettlementState,
    pub risk_state: RiskState,
    #[serde(flatten)]
    pub source: Option<Source>,
    pub quote_version: u64,
    /// Always present, `null` until settlement has a transaction.
    pub settlement_tx_hash: Option<String>,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposit_config: Option<DepositConfig>,
    pub peg_stablecoins: bool,
    pub disable_swaps: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ui_config: Option<UiConfig>,
    /// Always present (required at creation); `null` only in the type system.
    pub settlement_config: Option<SettlementConfig>,
    pub destination_config: Option<DestinationConfig>,

    #[serde(skip)]
    pub environment_id: EnvironmentId,
    /// SHA-256 of the one live session token, if any. Living on the flow row makes "at most
    /// one live token per flow" a property of the row rather than of two tables kept in step.
    #[serde(skip)]
    pub session_token_hash: Option<TokenHash>,
    /// Bumped by every write; the store's optimistic guard.
    #[serde(skip)]
    pub revision: i64,
}

/// The funding source attached by P4. Replaced whole on re-attach, so no field of a previous
/// source can survive into the next one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub source_type: SourceType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_chain_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_chain_name: Option<ChainName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementConfig {
    pub strategy: SettlementStrategy,
    pub settlements: Vec<Settlement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settlement {
    pub chain_name: ChainName,
    pub chain_id: String,
    pub token_address: String,
    pub symbol: String,
    pub token_decimals: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_native: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationConfig {
    pub destinations: Vec<Destination>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    pub chain_name: ChainName,
    /// Always `"address"` today.
    #[serde(rename = "type")]
    pub kind: String,
    pub identifier: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presets: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UiConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

impl Flow {
    /// True when the flow is still in a pre-broadcast state but `expiresAt` has passed: it is
    /// expired, whatever its stored state says, until the sweeper writes that down.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.execution_state.expires() && now >= self.expires_at
    }

    /// The flow as a read at `now` must show it.
    pub fn observed(mut self, now: Timestamp) -> Self {
        if self.is_overdue(now) {
            self.execution_state = ExecutionState::Expired;
        }
        self
    }

    /// The payer view (SDK routes): the merchant's private `memo` and `userId` removed.
    pub fn payer_view(&self) -> Self {
        Self {
            memo: None,
            user_id: None,
            ..self.clone()
        }
    }

    /// Whether `presented` is this flow's live session token at `now` (spec §4): it must be
    /// the most recently minted one, before its expiry, on a flow that is neither final nor
    /// settled.
    pub fn session_is_live(&self, presented: &TokenHash, now: Timestamp) -> bool {
        let matches = self
            .session_token_hash
            .as_ref()
            .is_some_and(|h| h.ct_eq(presented));
        matches
            && now < self.expires_at
            && !self.execution_state.is_final()
            && !self.settlement_state.is_final()
    }
}
