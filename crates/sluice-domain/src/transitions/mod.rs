//! The transition table (spec §3) as pure functions: each takes the flow as stored and returns
//! either the new flow with the events describing the change, or why the action is refused.
//! The server's lifecycle module runs these inside one state-guarded store transaction; no
//! other code changes a flow.

use crate::attach::AttachRequest;
use crate::event::{FlowEvent, axis_events};
use crate::flow::{ExchangeSource, Flow};
use crate::state::{ExecutionState, FlowMode, RiskState, SettlementState, SourceType};
use crate::time::Timestamp;
use crate::token::TokenHash;

/// Why an action on a flow was refused. Each maps to one HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// `404 flow_not_found`.
    NotFound,
    /// `409 flow_invalid_transition`, with the state a read would show.
    InvalidTransition {
        execution: ExecutionState,
        settlement: SettlementState,
        risk: RiskState,
    },
    /// `401 invalid_session_token`.
    InvalidSessionToken,
    /// `403 flow_source_blocked`: screening hit the deny list.
    SourceBlocked,
    /// `409 quote_expired`.
    QuoteExpired,
    /// `409 risk_not_cleared`.
    RiskNotCleared,
    /// `422 chain_not_configured`: the flow's chain has no deposit key in its environment
    /// (or no deposit addresses at all); the text says which.
    DepositUnavailable(String),
    /// A background worker's change was already made (never reaches a caller over HTTP).
    AlreadyRecorded,
}

impl Rejection {
    pub(crate) fn invalid(observed: &Flow) -> Self {
        Self::InvalidTransition {
            execution: observed.execution_state,
            settlement: observed.settlement_state,
            risk: observed.risk_state,
        }
    }
}

/// A permitted change: the flow to store and the events to store with it.
#[derive(Debug, Clone)]
pub struct Transition {
    pub flow: Flow,
    pub events: Vec<FlowEvent>,
}

pub(crate) fn transition(before: &Flow, mut after: Flow, now: Timestamp) -> Transition {
    after.updated_at = now;
    let events = axis_events(before, &after, now);
    Transition {
        flow: after,
        events,
    }
}

/// What attach needs besides the stored flow.
#[derive(Debug, Clone)]
pub struct AttachInput<'a> {
    pub request: &'a AttachRequest,
    /// The session token the caller sent, if any; consulted only when the flow is `signing`.
    pub presented_token: Option<TokenHash>,
    /// Whether screening found one of the request's addresses on the deny list.
    pub screening_hit: bool,
    /// The hash of the token minted for this attach.
    pub new_token: TokenHash,
}

/// P4 (spec §6 steps 4–6): state gate, token gate from `signing`, screening, then the new
/// source replaces the old one, the quote is void and the new token is the only live one.
pub fn attach(
    current: &Flow,
    input: &AttachInput<'_>,
    now: Timestamp,
) -> Result<Transition, Rejection> {
    let observed = current.clone().observed(now);
    // Withdrawals are not specified yet: their payer routes refuse every action (spec §2).
    if !observed.execution_state.accepts_attach() || current.mode == FlowMode::Withdraw {
        return Err(Rejection::invalid(&observed));
    }
    if observed.execution_state == ExecutionState::Signing {
        let live = input
            .presented_token
            .is_some_and(|t| current.session_is_live(&t, now));
        if !live {
            return Err(Rejection::InvalidSessionToken);
        }
    }
    if input.screening_hit {
        return Err(Rejection::SourceBlocked);
    }
    let mut next = current.clone();
    next.source = Some(input.request.source.clone());
    next.exchange_source = input.request.exchange_provider.map(|p| ExchangeSource {
        exchange_id: p.as_str().to_owned(),
        metadata: serde_json::Map::new(),
    });
    next.quote = None;
    next.execution_state = ExecutionState::SourceAttached;
    next.risk_state = match input.request.source.source_type {
        SourceType::Wallet => RiskState::Cleared,
        SourceType::Exchange | SourceType::DepositAddress => RiskState::Unknown,
    };
    next.session_token_hash = Some(input.new_token);
    Ok(transition(current, next, now))
}

/// The gate of every session-token route (spec §4): an unknown flow, a wrong, old or expired
/// token, and a final or settled flow all look the same to the caller.
pub fn authorize_session(
    current: Option<&Flow>,
    presented: &TokenHash,
    now: Timestamp,
) -> Result<(), Rejection> {
    match current {
        Some(flow) if flow.session_is_live(presented, now) => Ok(()),
        _ => Err(Rejection::InvalidSessionToken),
    }
}

/// P8: the payer gives up before anything was broadcast.
pub fn payer_cancel(
    current: Option<&Flow>,
    presented: &TokenHash,
    now: Timestamp,
) -> Result<Transition, Rejection> {
    authorize_session(current, presented, now)?;
    let current = current.expect("authorized above");
    if !current.execution_state.accepts_payer_cancel() {
        return Err(Rejection::invalid(current));
    }
    Ok(transition(current, cancelled(current), now))
}

/// S3: the merchant withdraws a flow nobody has started paying.
pub fn server_cancel(current: &Flow, now: Timestamp) -> Result<Transition, Rejection> {
    let observed = current.clone().observed(now);
    if observed.execution_state != ExecutionState::Initiated {
        return Err(Rejection::invalid(&observed));
    }
    Ok(transition(current, cancelled(current), now))
}

/// The sweeper writes down what reads already show: an overdue pre-broadcast flow is expired.
pub fn expire(current: &Flow, now: Timestamp) -> Result<Transition, Rejection> {
    if !current.is_overdue(now) {
        return Err(Rejection::invalid(current));
    }
    let mut next = current.clone();
    next.execution_state = ExecutionState::Expired;
    next.session_token_hash = None;
    Ok(transition(current, next, now))
}

fn cancelled(current: &Flow) -> Flow {
    let mut next = current.clone();
    next.execution_state = ExecutionState::Cancelled;
    next.session_token_hash = None;
    next
}

mod deposit;
mod deposit_arrival;
mod payment;

pub use deposit::*;
pub use deposit_arrival::*;
pub use payment::*;

#[cfg(test)]
mod deposit_arrival_tests;
#[cfg(test)]
mod tests;
