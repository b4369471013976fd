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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    pub id: FlowId,
    pub mode: FlowMode,
    pub amount: String,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub memo: Option<crate::memo::Memo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub execution_state: ExecutionState,
    pub settlement_state: SettlementState,
    pub risk_state: RiskState,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::SourceFields))]
    pub source: Option<Source>,
    /// The flow's own address, derived from the environment's deposit key, for
    /// deposit-address and exchange sources. Set once; kept through re-attach and re-quote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposit_address: Option<String>,
    /// An exchange source's record: which exchange, and (from the first quote) the purchase
    /// URL whose bought funds go to `deposit_address`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_source: Option<ExchangeSource>,
    /// Every confirmed transfer to the deposit address, counted or not (spec §9).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposits: Vec<crate::deposit_transfer::DepositTransfer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_chain_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_chain_name: Option<ChainName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_token: Option<String>,
    pub quote_version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<FlowQuote>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<String>,
    /// Always present, `null` until settlement has a transaction.
    pub settlement_tx_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broadcasted_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_confirmed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmations: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settlement: Option<SettlementRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl Source {
    /// Deposit-address and exchange payers send funds to the flow's own deposit address
    /// instead of signing a transaction.
    pub fn pays_to_deposit_address(&self) -> bool {
        matches!(
            self.source_type,
            SourceType::DepositAddress | SourceType::Exchange
        )
    }
}

/// A quote (spec §2 `FlowQuote`). Amounts are integer strings in the token's smallest unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExchangeSource {
    /// The exchange's key (`coinbase`), as `GET …/exchanges` lists it.
    pub exchange_id: String,
    /// `url`: the purchase link, made at each quote (a Coinbase session is single-use and
    /// short-lived).
    pub metadata: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FlowQuote {
    pub version: u64,
    pub from_amount: String,
    pub to_amount: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fees: Option<Fees>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_time_sec: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_payload: Option<SigningPayload>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_token_info: Option<TokenInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_token_info: Option<TokenInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Fees {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_fee_usd: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_estimate: Option<GasEstimate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GasEstimate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub native_symbol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub symbol: String,
    pub decimals: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SigningPayload {
    pub chain_name: ChainName,
    pub chain_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evm_transaction: Option<EvmTransaction>,
    /// Bitcoin: base64 of the unsigned BIP-174 PSBT the payer's wallet signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub psbt: Option<String>,
    /// TRON: the unsigned transaction the payer's wallet signs and broadcasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tron_transaction: Option<TronTransaction>,
    /// Solana: base64 of the unsigned transaction (one empty signature slot, the payer's) the
    /// wallet signs and sends (spec §10.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialized_transaction: Option<String>,
}

/// An unsigned TRON transaction (spec §10.2): the hex of its `raw_data` protobuf as TRON's
/// SDK serialises it, whose sha256 is the txID the wallet signs; `to` the destination in
/// base58 and `value` the amount in the token's smallest unit as `0x`-hex, for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TronTransaction {
    pub raw_data_hex: String,
    pub to: String,
    pub value: String,
}

/// An unsigned EVM transaction: numbers are `0x`-hex strings, `nonce` a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EvmTransaction {
    pub to: String,
    pub data: String,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_limit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fee_per_gas: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_priority_fee_per_gas: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<u64>,
}

/// Where the merchant was paid (spec §2 `settlement`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SettlementRecord {
    pub to_chain_id: String,
    pub to_token: String,
    pub to_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
    /// Deposit flows: what arrived beyond `quote.toAmount`, in base units, for a refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excess_amount: Option<String>,
}

/// Why a flow failed (spec §2 `failure`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub code: String,
    pub message: String,
    pub category: String,
    pub stage: String,
    pub retryable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SettlementConfig {
    pub strategy: SettlementStrategy,
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub settlements: Vec<Settlement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DestinationConfig {
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub destinations: Vec<Destination>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    pub chain_name: ChainName,
    /// Always `"address"` today.
    #[serde(rename = "type")]
    pub kind: String,
    pub identifier: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DepositConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presets: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    pub fn payer_view(mut self) -> Self {
        self.memo = None;
        self.user_id = None;
        self
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
