//! Which ranges each filter reads; the databases' own plans for them are checked in the
//! backends' tests (`EXPLAIN`), and the pages against a brute-force filter.

use sluice_domain::{ExecutionState as E, FlowMode, SettlementState as S};

use super::*;
use crate::{Dialect, Param};

fn query(e: Option<E>, s: Option<S>, m: Option<FlowMode>) -> FlowQuery {
    FlowQuery {
        execution_state: e,
        settlement_state: s,
        mode: m,
        limit: 20,
        ..FlowQuery::default()
    }
}

fn indexes(q: &FlowQuery) -> Vec<Index> {
    plan(q).ranges.iter().map(|r| r.index).collect()
}

#[test]
fn each_filter_combination_reads_a_few_ranges_of_one_index() {
    let (states, modes) = (S::ALL.len(), FlowMode::ALL.len());
    assert_eq!(indexes(&query(None, None, None)), [Index::Listing]);
    assert_eq!(
        indexes(&query(None, None, Some(FlowMode::Deposit))),
        [Index::ByMode]
    );
    assert_eq!(
        indexes(&query(None, Some(S::Completed), None)),
        vec![Index::BySettlement; modes]
    );
    assert_eq!(
        indexes(&query(Some(E::Cancelled), None, None)),
        [Index::ByExecution]
    );
    assert_eq!(
        indexes(&query(Some(E::Cancelled), None, Some(FlowMode::Deposit))),
        vec![Index::ByState; states]
    );
    assert_eq!(
        indexes(&query(Some(E::Cancelled), Some(S::None), None)),
        vec![Index::ByState; modes]
    );
    assert_eq!(
        indexes(&query(
            Some(E::Failed),
            Some(S::Failed),
            Some(FlowMode::Payment)
        )),
        [Index::ByState]
    );
}

#[test]
fn the_expiry_rule_is_kept_without_a_scan() {
    let quoted = plan(&query(
        Some(E::Quoted),
        Some(S::None),
        Some(FlowMode::Payment),
    ));
    assert_eq!(
        quoted.ranges[0].expiry,
        Expiry::Live,
        "an overdue quoted flow is expired"
    );
    let done = plan(&query(
        Some(E::SourceConfirmed),
        Some(S::Completed),
        Some(FlowMode::Payment),
    ));
    assert_eq!(done.ranges[0].expiry, Expiry::Any);
    let alone = plan(&query(Some(E::Quoted), None, None));
    assert_eq!(
        (alone.ranges[0].index, alone.ranges[0].expiry),
        (Index::ByExecution, Expiry::Live)
    );
    let expired = plan(&query(Some(E::Expired), None, Some(FlowMode::Deposit)));
    let last = expired.ranges.last().unwrap();
    assert_eq!(
        (last.index, last.expiry, last.equal.clone()),
        (Index::Expiring, Expiry::Overdue, vec![("mode", "deposit")])
    );
    assert!(
        expired.ranges[..expired.ranges.len() - 1]
            .iter()
            .all(|r| r.equal.contains(&("execution_state", "expired")))
    );
}

#[test]
fn a_users_flows_are_one_range() {
    let mut q = query(Some(E::Expired), None, None);
    q.user_id = Some("customer-7".into());
    let p = plan(&q);
    assert!(p.by_user);
    assert_eq!(p.ranges.len(), 2, "stored expired, and overdue");
    let dialect = Dialect {
        placeholder: |n| format!("${n}"),
        indexed_by: false,
        user_expr: "(doc::json ->> 'userId')",
        arm: |s| format!("({s})"),
        overdue_ids: true,
    };
    let (sql, params) = p.sql(&dialect, "id", true);
    assert_eq!(
        params,
        [
            Param::Env,
            Param::User,
            Param::CursorCreatedAt,
            Param::CursorId,
            Param::Now
        ],
        "numbered by first use: {sql}"
    );
    assert!(sql.contains("(created_at, id) < ($3, $4)"), "{sql}");
    // Written in, so that PostgreSQL keeps one generic plan (list_sql.rs).
    assert!(
        sql.contains("LIMIT 20") && !sql.contains("LIMIT $"),
        "{sql}"
    );
}
