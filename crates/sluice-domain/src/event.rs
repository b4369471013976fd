//! Webhook events produced by transitions. They are computed here, next to the state change
//! they describe, and the store writes them in the same transaction as the change (the
//! outbox), so a change without its event, or an event without its change, cannot exist.

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::deposit_transfer::DepositTransfer;
use crate::flow::Flow;
use crate::ids::{EnvironmentId, FlowId};
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct FlowEvent {
    pub id: Uuid,
    pub environment_id: EnvironmentId,
    pub flow_id: FlowId,
    pub event_type: &'static str,
    /// The whole event body as JSON text: `{type, timestamp, data}` (text, so that the
    /// flow's memo is sent exactly as the merchant wrote it).
    pub payload: String,
    pub created_at: Timestamp,
}

#[derive(Serialize)]
struct AxisPayload<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    timestamp: Timestamp,
    data: AxisData<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AxisData<'a> {
    flow_id: FlowId,
    environment_id: EnvironmentId,
    axis: &'a str,
    previous_state: &'a str,
    new_state: &'a str,
    flow: &'a Flow,
}

/// One event per state axis that differs between `before` and `after` (spec §9).
pub fn axis_events(before: &Flow, after: &Flow, now: Timestamp) -> Vec<FlowEvent> {
    let mut out = Vec::new();
    let axes = [
        (
            "flow.execution.updated",
            "execution",
            before.execution_state.as_str(),
            after.execution_state.as_str(),
        ),
        (
            "flow.settlement.updated",
            "settlement",
            before.settlement_state.as_str(),
            after.settlement_state.as_str(),
        ),
        (
            "flow.risk.updated",
            "risk",
            before.risk_state.as_str(),
            after.risk_state.as_str(),
        ),
    ];
    for (event_type, axis, previous, new) in axes {
        if previous != new {
            let payload = AxisPayload {
                event_type,
                timestamp: now,
                data: AxisData {
                    flow_id: after.id,
                    environment_id: after.environment_id,
                    axis,
                    previous_state: previous,
                    new_state: new,
                    flow: after,
                },
            };
            let payload = serde_json::to_string(&payload).expect("an event serialises");
            out.push(FlowEvent {
                id: Uuid::new_v4(),
                environment_id: after.environment_id,
                flow_id: after.id,
                event_type,
                payload,
                created_at: now,
            });
        }
    }
    out
}

/// `flow.deposit.received` (spec §9): one per confirmed transfer to a flow's deposit address,
/// counted or not, so that no arrival goes unannounced.
pub fn deposit_received(flow: &Flow, transfer: &DepositTransfer, now: Timestamp) -> FlowEvent {
    let event_type = "flow.deposit.received";
    let mut data = json!({
        "flowId": flow.id,
        "environmentId": flow.environment_id,
        "chainId": transfer.chain_id,
        "tokenAddress": transfer.token_address,
        "txHash": transfer.tx_hash,
        "amount": transfer.amount,
        "counted": transfer.counted,
    });
    if let Some(index) = transfer.log_index {
        data["logIndex"] = json!(index);
    }
    if let Some(reason) = &transfer.reason {
        data["reason"] = json!(reason);
    }
    FlowEvent {
        id: Uuid::new_v4(),
        environment_id: flow.environment_id,
        flow_id: flow.id,
        event_type,
        payload: json!({"type": event_type, "timestamp": now, "data": data}).to_string(),
        created_at: now,
    }
}
