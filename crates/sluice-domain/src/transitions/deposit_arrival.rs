//! What a transfer to a flow's deposit address does to the flow (spec §3, §9): seen, it moves
//! the flow to `source_detected`; confirmed, it is recorded on the flow, counted if it is the
//! quoted token on the quoted chain and the flow still takes payment, and the flow completes
//! once the counted total reaches `quote.toAmount`. A flow still short at `expiresAt` fails as
//! `underpaid`.

use serde_json::json;

use super::{Rejection, Transition, transition};
use crate::deposit_transfer::{ObservedTransfer, counted_total};
use crate::event::deposit_received;
use crate::flow::{Failure, Flow, SettlementRecord};
use crate::state::{ExecutionState, SettlementState, SourceType};
use crate::time::Timestamp;

/// Why a transfer would not count towards `current`, or `None` if it would.
pub fn uncounted_reason(
    current: &Flow,
    transfer: &ObservedTransfer,
    now: Timestamp,
) -> Option<&'static str> {
    let observed = current.clone().observed(now);
    if observed.settlement_state == SettlementState::Completed
        || observed.execution_state == ExecutionState::SourceConfirmed
    {
        return Some("flow_settled");
    }
    if observed.execution_state.is_final() {
        return Some("flow_final");
    }
    if !observed
        .source
        .as_ref()
        .is_some_and(|s| s.pays_to_deposit_address())
    {
        return Some("source_changed");
    }
    if !takes_deposits(&observed) {
        return Some("not_quoted");
    }
    let (Some(chain), Some(token)) = (&current.to_chain_id, &current.to_token) else {
        return Some("not_quoted");
    };
    if *chain != transfer.chain_id {
        return Some("wrong_chain");
    }
    if !token.eq_ignore_ascii_case(&transfer.token_address) {
        return Some("wrong_token");
    }
    None
}

/// The states in which a deposit counts (spec §3, "deposit seen"), plus `source_detected`.
fn takes_deposits(observed: &Flow) -> bool {
    let Some(source) = &observed.source else {
        return false;
    };
    match (source.source_type, observed.execution_state) {
        (_, ExecutionState::SourceDetected) => source.pays_to_deposit_address(),
        (SourceType::DepositAddress, state) => {
            matches!(
                state,
                ExecutionState::SourceAttached | ExecutionState::Quoted
            )
        }
        (SourceType::Exchange, state) => {
            matches!(state, ExecutionState::Quoted | ExecutionState::Broadcasted)
        }
        (SourceType::Wallet, _) => false,
    }
}

/// A countable transfer was seen in a block (not yet confirmed): `source_detected` with its
/// hash. Anything else (already detected, not countable) changes nothing.
pub fn deposit_seen(
    current: &Flow,
    transfer: &ObservedTransfer,
    now: Timestamp,
) -> Result<Transition, Rejection> {
    let observed = current.clone().observed(now);
    if observed.execution_state == ExecutionState::SourceDetected
        || uncounted_reason(current, transfer, now).is_some()
    {
        return Err(Rejection::invalid(&observed));
    }
    let mut next = current.clone();
    next.execution_state = ExecutionState::SourceDetected;
    next.tx_hash = Some(transfer.tx_hash.clone());
    Ok(transition(current, next, now))
}

/// A transfer reached its confirmations on a canonical block: record it (once), count it if
/// it counts, complete the flow when the counted total reaches the quote, and announce it.
pub fn record_deposit(
    current: &Flow,
    transfer: &ObservedTransfer,
    now: Timestamp,
) -> Result<Transition, Rejection> {
    if current.deposits.iter().any(|d| transfer.is(d)) {
        return Err(Rejection::AlreadyRecorded);
    }
    let reason = uncounted_reason(current, transfer, now);
    let record = transfer.record(reason, now);
    let mut next = current.clone();
    next.deposits.push(record.clone());
    if record.counted {
        if next.execution_state != ExecutionState::SourceDetected {
            next.execution_state = ExecutionState::SourceDetected;
            next.tx_hash.get_or_insert_with(|| transfer.tx_hash.clone());
        }
        complete_if_paid(&mut next, &transfer.tx_hash, now);
    }
    let mut change = transition(current, next, now);
    change
        .events
        .push(deposit_received(&change.flow, &record, now));
    Ok(change)
}

fn complete_if_paid(next: &mut Flow, last_tx: &str, now: Timestamp) {
    let Some(expected) = next
        .quote
        .as_ref()
        .and_then(|q| q.to_amount.parse::<u128>().ok())
    else {
        return;
    };
    let total = counted_total(&next.deposits);
    if total < expected {
        return;
    }
    next.execution_state = ExecutionState::SourceConfirmed;
    next.settlement_state = SettlementState::Completed;
    next.settlement_tx_hash = Some(last_tx.to_owned());
    next.source_confirmed_at = Some(now);
    next.completed_at = Some(now);
    next.settlement = Some(SettlementRecord {
        to_chain_id: next.to_chain_id.clone().unwrap_or_default(),
        to_token: next.to_token.clone().unwrap_or_default(),
        to_address: next.deposit_address.clone().unwrap_or_default(),
        completed_at: Some(now),
        excess_amount: (total > expected).then(|| (total - expected).to_string()),
    });
    next.session_token_hash = None;
}

/// Whether `current` is a deposit-paid flow that was detected (or, for an exchange, reported
/// bought) and is still short at its `expiresAt`.
pub fn is_underpaid(current: &Flow, now: Timestamp) -> bool {
    let pays_to_address = current
        .source
        .as_ref()
        .is_some_and(|s| s.pays_to_deposit_address());
    let waiting = matches!(
        current.execution_state,
        ExecutionState::SourceDetected | ExecutionState::Broadcasted
    );
    pays_to_address && waiting && now >= current.expires_at
}

/// The flow is still short at `expiresAt`: `failed` with `underpaid`, expected and received
/// amounts in the details (what arrived is recorded on the flow for a refund).
pub fn fail_underpaid(current: &Flow, now: Timestamp) -> Result<Transition, Rejection> {
    if !is_underpaid(current, now) {
        return Err(Rejection::invalid(current));
    }
    let expected = current.quote.as_ref().map(|q| q.to_amount.clone());
    let received = counted_total(&current.deposits).to_string();
    let mut next = current.clone();
    next.execution_state = ExecutionState::Failed;
    next.session_token_hash = None;
    next.failure = Some(Failure {
        code: "underpaid".into(),
        message: format!(
            "The deposit address received {received} of the {} base units expected before the flow expired.",
            expected.as_deref().unwrap_or("(unquoted)")
        ),
        category: "payment".into(),
        stage: "source_verification".into(),
        retryable: false,
        details: Some(json!({
            "expectedAmount": expected,
            "receivedAmount": received,
            "tokenAddress": current.to_token,
            "chainId": current.to_chain_id,
            "depositAddress": current.deposit_address,
        })),
    });
    Ok(transition(current, next, now))
}
