//! Deposit addresses on flows: which key family a flow's address comes from, and the pure
//! change that stores it. The store allocates the derivation index in the same transaction
//! (see `Store::assign_deposit_address`); this module decides whether it may.

use super::{Rejection, Transition, transition};
use crate::chain::ChainName;
use crate::deposit_key::ChainFamily;
use crate::flow::{Flow, Source};
use crate::state::ExecutionState;
use crate::time::Timestamp;

/// What a flow needs for its deposit address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepositNeed {
    /// It has one already, and keeps it.
    Assigned(String),
    /// It needs one from the environment's key for this family.
    Allocate(ChainFamily),
}

/// A deposit-address or exchange source in `source_attached` or `quoted` (not yet overdue)
/// needs an address from the family of `chain`, the chain its quote pays on.
pub fn deposit_need(
    current: &Flow,
    chain: ChainName,
    now: Timestamp,
) -> Result<DepositNeed, Rejection> {
    if let Some(address) = &current.deposit_address {
        return Ok(DepositNeed::Assigned(address.clone()));
    }
    let observed = current.clone().observed(now);
    let pays_to_address = observed
        .source
        .as_ref()
        .is_some_and(Source::pays_to_deposit_address);
    let open = matches!(
        observed.execution_state,
        ExecutionState::SourceAttached | ExecutionState::Quoted
    );
    if !pays_to_address || !open {
        return Err(Rejection::invalid(&observed));
    }
    ChainFamily::of(chain)
        .map(DepositNeed::Allocate)
        .ok_or_else(|| {
            let why = if chain == ChainName::Sol {
                " (Solana's ed25519 keys allow no public derivation of an address per flow)"
            } else {
                ""
            };
            Rejection::DepositUnavailable(format!(
                "Deposit addresses are not available on {chain}{why}; use a wallet source."
            ))
        })
}

/// Stores `address` on the flow. States do not change, so there are no events.
pub fn with_deposit_address(current: &Flow, address: String, now: Timestamp) -> Transition {
    let mut after = current.clone();
    after.deposit_address = Some(address);
    transition(current, after, now)
}
