//! The payment path after attach: quote (P5), prepare (P6) and broadcast (P7) on the payer's
//! session token, and the tracker's two verdicts, settle and fail (spec §3).

use super::{Rejection, Transition, authorize_session, transition};
use crate::chain::ChainName;
use crate::flow::{Failure, Flow, FlowQuote, SettlementRecord, SigningPayload};
use crate::state::{ExecutionState, FlowMode, RiskState, SettlementState, SourceType};
use crate::time::Timestamp;
use crate::token::TokenHash;

/// The gate shared by P5–P7: a live token, and a flow whose payer routes are specified.
fn payer_flow<'a>(
    current: Option<&'a Flow>,
    presented: &TokenHash,
    now: Timestamp,
) -> Result<&'a Flow, Rejection> {
    authorize_session(current, presented, now)?;
    let flow = current.expect("authorized above");
    if flow.mode == FlowMode::Withdraw {
        return Err(Rejection::invalid(flow));
    }
    Ok(flow)
}

/// What a quote decided: the quote itself (its `version` is assigned here) and the route.
#[derive(Debug, Clone)]
pub struct QuotePlan {
    pub quote: FlowQuote,
    pub from_chain_id: String,
    pub from_token: String,
    pub to_address: String,
    pub to_chain_id: String,
    pub to_chain_name: ChainName,
    pub to_token: String,
    /// An exchange source's purchase URL for this quote.
    pub exchange_url: Option<String>,
}

/// Whether a quote may be made now; checked before any price or chain lookup.
pub fn check_quote(
    current: Option<&Flow>,
    presented: &TokenHash,
    now: Timestamp,
) -> Result<(), Rejection> {
    let flow = payer_flow(current, presented, now)?;
    match flow.execution_state {
        ExecutionState::SourceAttached | ExecutionState::Quoted | ExecutionState::Signing => Ok(()),
        _ => Err(Rejection::invalid(flow)),
    }
}

/// P5: a new quote replaces the old one (from `signing`, the old signing payload is void);
/// `quoteVersion` grows by one.
pub fn quote(
    current: Option<&Flow>,
    presented: &TokenHash,
    plan: &QuotePlan,
    now: Timestamp,
) -> Result<Transition, Rejection> {
    check_quote(current, presented, now)?;
    let flow = current.expect("checked above");
    let mut next = flow.clone();
    next.quote_version += 1;
    let mut quote = plan.quote.clone();
    quote.version = next.quote_version;
    next.quote = Some(quote);
    next.from_token = Some(plan.from_token.clone());
    if let Some(source) = next.source.as_mut() {
        source.from_chain_id = Some(plan.from_chain_id.clone());
    }
    next.to_address = Some(plan.to_address.clone());
    next.to_chain_id = Some(plan.to_chain_id.clone());
    next.to_chain_name = Some(plan.to_chain_name);
    next.to_token = Some(plan.to_token.clone());
    if let (Some(url), Some(exchange)) = (&plan.exchange_url, next.exchange_source.as_mut()) {
        exchange
            .metadata
            .insert("url".into(), serde_json::Value::String(url.clone()));
    }
    next.execution_state = ExecutionState::Quoted;
    Ok(transition(flow, next, now))
}

/// P6's checks, in the spec's order: `quoted` with a wallet source, a fresh quote, cleared risk.
pub fn check_prepare(
    current: Option<&Flow>,
    presented: &TokenHash,
    now: Timestamp,
) -> Result<(), Rejection> {
    let flow = payer_flow(current, presented, now)?;
    let wallet = flow
        .source
        .as_ref()
        .is_some_and(|s| s.source_type == SourceType::Wallet);
    if flow.execution_state != ExecutionState::Quoted || !wallet {
        return Err(Rejection::invalid(flow));
    }
    if flow.quote.as_ref().is_none_or(|q| q.expires_at <= now) {
        return Err(Rejection::QuoteExpired);
    }
    if flow.risk_state != RiskState::Cleared {
        return Err(Rejection::RiskNotCleared);
    }
    Ok(())
}

/// P6: the quote gains its signing payload and the flow waits for the signature. The payload
/// was built for `quote_version`; a quote replaced meanwhile makes this a 409.
pub fn prepare(
    current: Option<&Flow>,
    presented: &TokenHash,
    quote_version: u64,
    payload: SigningPayload,
    now: Timestamp,
) -> Result<Transition, Rejection> {
    check_prepare(current, presented, now)?;
    let flow = current.expect("checked above");
    if flow.quote_version != quote_version {
        return Err(Rejection::invalid(flow));
    }
    let mut next = flow.clone();
    if let Some(quote) = next.quote.as_mut() {
        quote.signing_payload = Some(payload);
    }
    next.execution_state = ExecutionState::Signing;
    Ok(transition(flow, next, now))
}

/// P7: the point of no return. A wallet broadcasts from `signing` with its hash; an exchange
/// source from `quoted`, hash optional; a deposit address never. Repeating the same hash once
/// broadcast changes nothing and emits nothing.
pub fn broadcast(
    current: Option<&Flow>,
    presented: &TokenHash,
    tx_hash: Option<&str>,
    now: Timestamp,
) -> Result<Transition, Rejection> {
    let flow = payer_flow(current, presented, now)?;
    let source = flow.source.as_ref().map(|s| s.source_type);
    let allowed = match (flow.execution_state, source) {
        (ExecutionState::Broadcasted, _) => {
            return if tx_hash.is_some() && flow.tx_hash.as_deref() == tx_hash {
                Ok(Transition {
                    flow: flow.clone(),
                    events: Vec::new(),
                })
            } else {
                Err(Rejection::invalid(flow))
            };
        }
        (ExecutionState::Signing, Some(SourceType::Wallet)) => tx_hash.is_some(),
        (ExecutionState::Quoted, Some(SourceType::Exchange)) => true,
        _ => false,
    };
    if !allowed {
        return Err(Rejection::invalid(flow));
    }
    let mut next = flow.clone();
    next.tx_hash = tx_hash.map(str::to_owned);
    next.broadcasted_at = Some(now);
    next.execution_state = ExecutionState::Broadcasted;
    Ok(transition(flow, next, now))
}

fn being_watched(flow: &Flow) -> Result<(), Rejection> {
    match flow.execution_state {
        ExecutionState::Broadcasted | ExecutionState::SourceDetected => Ok(()),
        _ => Err(Rejection::invalid(flow)),
    }
}

/// The tracker verified the transfer: source confirmed and settlement completed in the same
/// write; the session token dies.
pub fn settle(current: &Flow, confirmations: u64, now: Timestamp) -> Result<Transition, Rejection> {
    being_watched(current)?;
    let mut next = current.clone();
    next.execution_state = ExecutionState::SourceConfirmed;
    next.settlement_state = SettlementState::Completed;
    next.settlement_tx_hash = current.tx_hash.clone();
    next.source_confirmed_at = Some(now);
    next.completed_at = Some(now);
    next.confirmations = Some(confirmations);
    next.settlement = Some(SettlementRecord {
        to_chain_id: current.to_chain_id.clone().unwrap_or_default(),
        to_token: current.to_token.clone().unwrap_or_default(),
        to_address: current.to_address.clone().unwrap_or_default(),
        completed_at: Some(now),
        excess_amount: None,
    });
    next.session_token_hash = None;
    Ok(transition(current, next, now))
}

/// The tracker found the transfer reverted, mismatched or missing.
pub fn fail(current: &Flow, failure: Failure, now: Timestamp) -> Result<Transition, Rejection> {
    being_watched(current)?;
    let mut next = current.clone();
    next.execution_state = ExecutionState::Failed;
    next.failure = Some(failure);
    next.session_token_hash = None;
    Ok(transition(current, next, now))
}
