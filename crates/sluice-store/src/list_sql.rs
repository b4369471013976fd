//! A [`Plan`] as SQL, in either backend's dialect: each range a `SELECT created_at, id … ORDER
//! BY created_at DESC, id DESC LIMIT n` on its index, their union's newest `n` IDs, and those
//! rows read by primary key. Parameters are numbered in order of first use, and only the ones
//! used are bound ([`Param`]).

use sluice_domain::ExecutionState;

use crate::list_plan::{Expiry, Index, Plan};

/// What a numbered placeholder stands for; the backend binds each in its own types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    Env,
    Now,
    CursorCreatedAt,
    CursorId,
    User,
    Limit,
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
    /// What keeps the overdue flows' subquery planned on its own (PostgreSQL's `OFFSET 0`),
    /// so that it reads the partial index on `expires_at` and is then sorted, rather than
    /// walking a `created_at` index in the hope of meeting an overdue flow soon.
    pub fence: &'static str,
}

/// The flows in an expiring state whose `expiresAt` has passed, from the partial index on
/// `expires_at`: few, since the expiry sweeper keeps up.
fn overdue(dialect: &Dialect, now: &str) -> String {
    let states: Vec<String> = ExecutionState::EXPIRING
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let indexed = if dialect.indexed_by {
        " INDEXED BY flows_expiring"
    } else {
        ""
    };
    format!(
        "SELECT created_at, id, environment_id, execution_state, settlement_state, mode \
         FROM flows{indexed} WHERE execution_state IN ({}) AND expires_at <= {now}{}",
        states.join(", "),
        dialect.fence
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
            .map(|range| {
                let mut sql = String::from("SELECT created_at, id FROM flows");
                if range.index == Index::Expiring {
                    let now = params.slot(dialect, Param::Now);
                    sql = format!(
                        "SELECT created_at, id FROM ({}) AS overdue",
                        overdue(dialect, &now)
                    );
                } else if dialect.indexed_by {
                    sql.push_str(&format!(" INDEXED BY {}", range.index.name()));
                }
                let env = params.slot(dialect, Param::Env);
                sql.push_str(&format!(" WHERE environment_id = {env}"));
                for (column, literal) in &range.equal {
                    sql.push_str(&format!(" AND {column} = '{literal}'"));
                }
                match range.expiry {
                    Expiry::Any => {}
                    Expiry::Live => {
                        let now = params.slot(dialect, Param::Now);
                        sql.push_str(&format!(" AND expires_at > {now}"));
                    }
                    Expiry::Overdue if range.index == Index::Expiring => {} // in `overdue`
                    Expiry::Overdue => {
                        let now = params.slot(dialect, Param::Now);
                        let states: Vec<String> = ExecutionState::EXPIRING
                            .iter()
                            .map(|s| format!("'{}'", s.as_str()))
                            .collect();
                        sql.push_str(&format!(
                            " AND execution_state IN ({}) AND expires_at <= {now}",
                            states.join(", ")
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
                let limit = params.slot(dialect, Param::Limit);
                sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT {limit}"));
                (dialect.arm)(&sql)
            })
            .collect();
        let limit = params.slot(dialect, Param::Limit);
        let sql = format!(
            "SELECT {columns} FROM flows WHERE id IN (SELECT id FROM ({}) AS page \
             ORDER BY created_at DESC, id DESC LIMIT {limit}) ORDER BY created_at DESC, id DESC",
            arms.join(" UNION ALL ")
        );
        (sql, params.0)
    }
}
