//! S4 as index ranges (spec §5 S4; issue 21). A page of flows, filtered or not, is the newest
//! `limit` rows of a union of index ranges, each ordered by (`createdAt`, ID) and read from its
//! start (or from the cursor) for at most `limit` rows, so a page costs the same at ten
//! thousand flows as at a million. A filter on `executionState` alone is one range of
//! `flows_by_execution`; combined with the others, the filters' small domains make the rest
//! possible: one range per (settlement state, mode) pair left open of `flows_by_state`, and a
//! filter on `settlementState` one per mode of `flows_by_settlement`.
//!
//! The read-time expiry rule stays exact: a flow in an expiring state whose `expiresAt` has
//! passed reads as `expired`. So `executionState=expired` is the stored `expired` ranges plus
//! the overdue flows found through the partial index on `expires_at` (`flows_expiring`), and
//! a filter on an expiring state skips that state's overdue rows. Overdue rows not yet swept
//! are few (the expiry sweeper keeps the stored state close behind), so neither costs a scan.
//!
//! Each backend renders [`Plan`] in its own SQL dialect ([`Plan::sql`]).

use sluice_domain::{ExecutionState, FlowMode, SettlementState};

use crate::FlowQuery;

/// A named index of `flows`, created by both backends' migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// (environment, created_at, id): unfiltered pages.
    Listing,
    /// (environment, execution_state, created_at, id, expires_at): `executionState` alone.
    ByExecution,
    /// (environment, execution_state, settlement_state, mode, created_at, id, expires_at).
    ByState,
    /// (environment, settlement_state, mode, created_at, id).
    BySettlement,
    /// (environment, mode, created_at, id).
    ByMode,
    /// (environment, the doc's userId, created_at, id).
    ByUser,
    /// (expires_at) where the state expires: the overdue flows.
    Expiring,
}

impl Index {
    pub fn name(self) -> &'static str {
        match self {
            Self::Listing => "flows_listing",
            Self::ByExecution => "flows_by_execution",
            Self::ByState => "flows_by_state",
            Self::BySettlement => "flows_by_settlement",
            Self::ByMode => "flows_by_mode",
            Self::ByUser => "flows_by_user",
            Self::Expiring => "flows_expiring",
        }
    }
}

/// What a range asks of `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Any,
    /// Not overdue: the filter names an expiring state, which an overdue flow no longer reads as.
    Live,
    /// In an expiring state and overdue: reads as `expired`.
    Overdue,
}

/// One index range: `column = literal` conditions (literals are enum spellings, never input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub index: Index,
    pub equal: Vec<(&'static str, &'static str)>,
    pub expiry: Expiry,
}

/// The ranges whose union, newest first, is one page of `q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub ranges: Vec<Range>,
    /// Whether the ranges also match the doc's `userId` (a bound parameter).
    pub by_user: bool,
    /// Rows per range and per page: `q.limit`, written into the SQL (see `list_sql.rs`).
    pub limit: u32,
}

fn each<T: Copy>(wanted: Option<T>, all: &[T]) -> Vec<T> {
    wanted.map_or_else(|| all.to_vec(), |w| vec![w])
}

fn range(index: Index, equal: Vec<(&'static str, &'static str)>, expiry: Expiry) -> Range {
    Range {
        index,
        equal,
        expiry,
    }
}

/// The ranges of `q` on the state, settlement and mode indexes.
fn filter_ranges(q: &FlowQuery) -> Vec<Range> {
    let (s, m) = (q.settlement_state, q.mode);
    let pairs = || {
        let modes = each(m, FlowMode::ALL);
        each(s, SettlementState::ALL)
            .into_iter()
            .flat_map(move |s| modes.clone().into_iter().map(move |m| (s, m)))
    };
    let state_ranges = |e: ExecutionState, expiry| {
        if s.is_none() && m.is_none() {
            let equal = vec![("execution_state", e.as_str())];
            return vec![range(Index::ByExecution, equal, expiry)];
        }
        pairs()
            .map(|(s, m)| {
                let equal = vec![
                    ("execution_state", e.as_str()),
                    ("settlement_state", s.as_str()),
                    ("mode", m.as_str()),
                ];
                range(Index::ByState, equal, expiry)
            })
            .collect::<Vec<_>>()
    };
    match q.execution_state {
        None => match (s, m) {
            (None, None) => vec![range(Index::Listing, vec![], Expiry::Any)],
            (None, Some(m)) => vec![range(
                Index::ByMode,
                vec![("mode", m.as_str())],
                Expiry::Any,
            )],
            (Some(s), _) => each(m, FlowMode::ALL)
                .into_iter()
                .map(|m| {
                    let equal = vec![("settlement_state", s.as_str()), ("mode", m.as_str())];
                    range(Index::BySettlement, equal, Expiry::Any)
                })
                .collect(),
        },
        Some(ExecutionState::Expired) => {
            let mut ranges = state_ranges(ExecutionState::Expired, Expiry::Any);
            ranges.push(range(Index::Expiring, residual(s, m), Expiry::Overdue));
            ranges
        }
        Some(e) if e.expires() => state_ranges(e, Expiry::Live),
        Some(e) => state_ranges(e, Expiry::Any),
    }
}

/// The settlement and mode filters as plain conditions.
fn residual(s: Option<SettlementState>, m: Option<FlowMode>) -> Vec<(&'static str, &'static str)> {
    let mut equal = Vec::new();
    if let Some(s) = s {
        equal.push(("settlement_state", s.as_str()));
    }
    if let Some(m) = m {
        equal.push(("mode", m.as_str()));
    }
    equal
}

/// A user's flows: one range of `flows_by_user` (two for `expired`), the other filters
/// checked on that user's rows.
fn user_ranges(q: &FlowQuery) -> Vec<Range> {
    let mut equal = residual(q.settlement_state, q.mode);
    match q.execution_state {
        None => vec![range(Index::ByUser, equal, Expiry::Any)],
        Some(ExecutionState::Expired) => {
            let overdue = range(Index::ByUser, equal.clone(), Expiry::Overdue);
            equal.push(("execution_state", ExecutionState::Expired.as_str()));
            vec![range(Index::ByUser, equal, Expiry::Any), overdue]
        }
        Some(e) => {
            equal.push(("execution_state", e.as_str()));
            let expiry = if e.expires() {
                Expiry::Live
            } else {
                Expiry::Any
            };
            vec![range(Index::ByUser, equal, expiry)]
        }
    }
}

pub fn plan(q: &FlowQuery) -> Plan {
    match q.user_id {
        Some(_) => Plan {
            ranges: user_ranges(q),
            by_user: true,
            limit: q.limit,
        },
        None => Plan {
            ranges: filter_ranges(q),
            by_user: false,
            limit: q.limit,
        },
    }
}

#[cfg(test)]
mod tests;
