//! Schemas of the bodies the handlers read and write as free JSON.
//!
//! Request bodies are parsed by the domain's field readers (so that one request can report
//! every bad field at once), and some answers are assembled with `json!`; neither has a Rust
//! type for utoipa to read. These types describe those shapes for the document only.
#![allow(dead_code)]

use serde_json::Value;
use sluice_domain::flow::{DepositConfig, DestinationConfig, SettlementConfig, UiConfig};
use sluice_domain::{ChainName, Flow, SourceType, Timestamp};
use utoipa::ToSchema;

/// Every error: `{error, code, payload?}` (spec §7).
#[derive(ToSchema)]
pub struct Error {
    /// A sentence for humans; never empty.
    error: String,
    /// Stable snake_case code to branch on, with the status.
    code: String,
    /// Details, e.g. `errors: [{field, code, message}]` for `validation_failed`.
    payload: Option<Value>,
}

/// S1 body. `amount` matches `^(0|[1-9][0-9]*)(\.[0-9]+)?$` and is greater than 0.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CreateFlowRequest {
    #[schema(pattern = "^(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    amount: String,
    #[schema(min_length = 1, max_length = 50)]
    currency: String,
    settlement_config: SettlementConfig,
    destination_config: DestinationConfig,
    memo: Option<Value>,
    /// Seconds until the flow expires: default 3600, clamped to [60, 31536000].
    expires_in: Option<i64>,
    peg_stablecoins: Option<bool>,
    disable_swaps: Option<bool>,
    ui_config: Option<UiConfig>,
    user_id: Option<String>,
    deposit_config: Option<DepositConfig>,
}

/// S5 body: the S1 fields (a payment flow) and where the link points.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct CreatePaymentLinkRequest {
    #[serde(flatten)]
    flow: CreateFlowRequest,
    /// The merchant's own payment page; its origin must be one of the environment's allowed
    /// origins. Without it the link is Sluice's hosted page.
    base_url: Option<String>,
}

/// S1 answer.
#[derive(ToSchema)]
pub struct FlowCreated {
    flow: Flow,
}

/// S4 answer: newest first; `nextCursor` is `null` when nothing follows.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct FlowPage {
    flows: Vec<Flow>,
    next_cursor: Option<String>,
}

/// P4 body (spec §6). Unknown keys are ignored.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AttachSourceRequest {
    source_type: SourceType,
    /// Required for `wallet`.
    from_address: Option<String>,
    /// Required for `wallet` and `deposit_address`; decimal for EVM chains.
    from_chain_id: Option<String>,
    /// Required for `wallet` and `deposit_address`.
    from_chain_name: Option<ChainName>,
    /// `exchange` only: `coinbase` or `kraken`.
    exchange_provider: Option<String>,
    /// `deposit_address` only.
    refund_address: Option<String>,
}

/// P5 body; every field optional.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct QuoteRequest {
    from_token_address: Option<String>,
    from_chain_id: Option<String>,
    /// A fraction: 0.005 is 0.5 %.
    slippage: Option<f64>,
    /// `deposit` mode only, at least `depositConfig.minimum`.
    amount: Option<String>,
}

/// P6 body; both assertions default to false when absent.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct PrepareRequest {
    assert_balance_for_gas_cost: Option<bool>,
    assert_balance_for_transfer_amount: Option<bool>,
}

/// P7 body. For a wallet source `txHash` must be a well-formed hash of its chain.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct BroadcastRequest {
    tx_hash: Option<String>,
}

/// S6 create body.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct WebhookCreate {
    /// Where events are posted; see docs/WEBHOOKS.md for which hosts are accepted.
    #[schema(pattern = "^https?://[^/?#]+")]
    url: String,
    /// Event types to receive; absent or `null` means every type.
    event_types: Option<Vec<String>>,
    enabled: Option<bool>,
}

/// S6 update body: only the fields given change.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct WebhookUpdate {
    url: Option<String>,
    event_types: Option<Vec<String>>,
    enabled: Option<bool>,
}

/// A webhook endpoint. `secret` is present only when it was just created or rotated.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct WebhookEndpoint {
    id: String,
    url: String,
    /// `null` means every event type.
    event_types: Option<Vec<String>>,
    enabled: bool,
    created_at: Timestamp,
    updated_at: Timestamp,
    /// `whsec_…`, shown once.
    secret: Option<String>,
}

#[derive(ToSchema)]
pub struct WebhookList {
    webhooks: Vec<WebhookEndpoint>,
}

#[derive(ToSchema)]
pub struct WebhookDeleted {
    id: String,
    deleted: bool,
}

/// One HTTP attempt at a delivery.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    attempted_at: Timestamp,
    status_code: Option<u16>,
    duration_ms: i64,
    error: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

/// One event bound for one endpoint.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Delivery {
    id: String,
    endpoint_id: String,
    event_id: String,
    event_type: String,
    status: DeliveryStatus,
    attempts: Vec<DeliveryAttempt>,
    next_attempt_at: Option<Timestamp>,
    created_at: Timestamp,
}

#[derive(ToSchema)]
pub struct DeliveryList {
    deliveries: Vec<Delivery>,
}
