//! A [`Plan`] as SQL, in either backend's dialect: each range a `SELECT created_at, id … ORDER
//! BY created_at DESC, id DESC LIMIT n` on its index, their union's newest `n` IDs, and those
//! rows read by primary key. Parameters are numbered in order of first use, and only the ones
//! used are bound ([`Param`]).
//!
//! The page size is written into the SQL, not bound. PostgreSQL plans a prepared statement
//! five times with its parameters, then by default keeps one generic plan (made without their
//! values) only if its estimated cost is no worse. Given `LIMIT $n` it cannot know the limit,
//! and at a million flows it re-planned `executionState=failed&mode=deposit`'s seven ranges on
//! every execution: 0.8–2.3 ms of planning for 0.2 ms of execution. Sluice's PostgreSQL
//! sessions now always take the generic plan (`plan_cache_mode`, see the backend's
//! `connect_options`), and the literal limit gives that plan the page size to cost it with;
//! the figures are in docs/benchmarks.md. The limit is a number the caller validated (1–100,
//! plus one), so it cannot carry SQL.

use sluice_domain::ExecutionState;

use crate::list_plan::{Expiry, Index, Plan, Range};

/// What a numbered placeholder stands for; the backend binds each in its own types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Env,
    Now,
    CursorCreatedAt,
    CursorId,
    User,
    /// The IDs of the overdue flows, read beforehand ([`Dialect::overdue_ids`]).
    OverdueIds,
}

/// How a backend spells what differs.
pub struct Dialect {
    /// `?1` on SQLite, `$1` on PostgreSQL.
    pub placeholder: fn(usize) -> String,
    /// SQLite is told each range's index (`INDEXED BY`), so that no plan can fall back to a
    /// scan; PostgreSQL's planner picks it.
    pub indexed_by: bool,
    /// The expression `flows_by_user` indexes.
    pub user_expr: &'static str,
    /// How a range becomes one arm of a `UNION ALL`.
    pub arm: fn(&str) -> String,
    /// Whether the overdue flows come as a list of IDs read beforehand (PostgreSQL) rather
    /// than from a subquery on the partial index on `expires_at` (SQLite, told the index).
    /// PostgreSQL's planner cannot know that few flows are overdue: it takes the states and
    /// the expiry as independent, and given the subquery on a vacuumed million-row table it
    /// chose a full scan. The read beforehand pages through the index in `expires_at` order,
    /// which only the index gives.
    pub overdue_ids: bool,
}

/// The expiring states as SQL literals, for `execution_state IN (…)`.
pub fn expiring_states() -> String {
    let states: Vec<String> = ExecutionState::EXPIRING
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    states.join(", ")
}

/// The flows in an expiring state whose `expiresAt` has passed, from the partial index on
/// `expires_at` (SQLite is told to use it): few, since the expiry sweeper keeps up.
fn overdue(now: &str) -> String {
    format!(
        "SELECT created_at, id, environment_id, execution_state, settlement_state, mode \
         FROM flows INDEXED BY flows_expiring WHERE execution_state IN ({}) AND expires_at <= {now}",
        expiring_states()
    )
}

#[derive(Default)]
struct Params(Vec<Param>);

impl Params {
    fn slot(&mut self, dialect: &Dialect, p: Param) -> String {
        let n = match self.0.iter().position(|q| *q == p) {
            Some(i) => i + 1,
            None => {
                self.0.push(p);
                self.0.len()
            }
        };
        (dialect.placeholder)(n)
    }
}

impl Plan {
    /// The query selecting `columns` of one page, and its parameters in placeholder order.
    pub fn sql(&self, dialect: &Dialect, columns: &str, cursor: bool) -> (String, Vec<Param>) {
        let mut params = Params::default();
        let arms: Vec<String> = self
            .ranges
            .iter()
            .map(|range| (dialect.arm)(&self.arm(range, dialect, &mut params, cursor)))
            .collect();
        let limit = self.limit;
        let sql = format!(
            "SELECT {columns} FROM flows WHERE id IN (SELECT id FROM ({}) AS page \
             ORDER BY created_at DESC, id DESC LIMIT {limit}) ORDER BY created_at DESC, id DESC",
            arms.join(" UNION ALL ")
        );
        (sql, params.0)
    }

    /// Whether a page needs the overdue flows' IDs read first ([`Param::OverdueIds`]).
    pub fn reads_overdue(&self) -> bool {
        self.ranges.iter().any(|r| r.index == Index::Expiring)
    }

    fn arm(&self, range: &Range, dialect: &Dialect, params: &mut Params, cursor: bool) -> String {
        let from_ids = range.index == Index::Expiring && dialect.overdue_ids;
        let mut sql = String::from("SELECT created_at, id FROM flows");
        if range.index == Index::Expiring && !from_ids {
            let now = params.slot(dialect, Param::Now);
            sql = format!("SELECT created_at, id FROM ({}) AS overdue", overdue(&now));
        } else if dialect.indexed_by {
            sql.push_str(&format!(" INDEXED BY {}", range.index.name()));
        }
        let env = params.slot(dialect, Param::Env);
        sql.push_str(&format!(" WHERE environment_id = {env}"));
        if from_ids {
            let ids = params.slot(dialect, Param::OverdueIds);
            sql.push_str(&format!(" AND id = ANY({ids})"));
        }
        for (column, literal) in &range.equal {
            sql.push_str(&format!(" AND {column} = '{literal}'"));
        }
        match range.expiry {
            Expiry::Any => {}
            Expiry::Overdue if range.index == Index::Expiring => {} // the IDs or the subquery
            Expiry::Live => {
                let now = params.slot(dialect, Param::Now);
                sql.push_str(&format!(" AND expires_at > {now}"));
            }
            Expiry::Overdue => {
                let now = params.slot(dialect, Param::Now);
                sql.push_str(&format!(
                    " AND execution_state IN ({}) AND expires_at <= {now}",
                    expiring_states()
                ));
            }
        }
        if self.by_user {
            let user = params.slot(dialect, Param::User);
            sql.push_str(&format!(" AND {} = {user}", dialect.user_expr));
        }
        if cursor {
            let at = params.slot(dialect, Param::CursorCreatedAt);
            let id = params.slot(dialect, Param::CursorId);
            sql.push_str(&format!(" AND (created_at, id) < ({at}, {id})"));
        }
        sql.push_str(&format!(
            " ORDER BY created_at DESC, id DESC LIMIT {}",
            self.limit
        ));
        sql
    }
}
