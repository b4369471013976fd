//! Flow rows on SQLite read through sqlx: lists and the workers' scans. Point reads are in
//! `native.rs`, writes in `native_write.rs` (group commit).

use sluice_domain::{EnvironmentId, Flow, FlowId, Timestamp};
use sluice_store::*;
use sqlx::Row;
use sqlx::sqlite::{SqlitePool, SqliteRow};

use crate::db;

const COLUMNS: &str = "environment_id, execution_state, settlement_state, risk_state, session_token_hash, expires_at, updated_at, revision, doc";

fn flow_from_row(row: &SqliteRow) -> StoreResult<Flow> {
    let env: String = row.try_get("environment_id").map_err(db)?;
    let cols = FlowColumns {
        environment_id: env
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("environment id {env:?}")))?,
        execution_state: row.try_get("execution_state").map_err(db)?,
        settlement_state: row.try_get("settlement_state").map_err(db)?,
        risk_state: row.try_get("risk_state").map_err(db)?,
        session_token_hash: row.try_get("session_token_hash").map_err(db)?,
        expires_at: row.try_get("expires_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
        revision: row.try_get("revision").map_err(db)?,
    };
    decode_flow(row.try_get("doc").map_err(db)?, cols)
}

/// SQLite's spelling of S4's plan (see sluice-store's `list_plan.rs`).
pub const DIALECT: Dialect = Dialect {
    placeholder: |n| format!("?{n}"),
    indexed_by: true,
    user_expr: "json_extract(doc, '$.userId')",
    overdue_ids: false,
    arm: |range| format!("SELECT created_at, id FROM ({range})"),
};

pub(crate) async fn list(
    pool: &SqlitePool,
    env: EnvironmentId,
    q: &FlowQuery,
    now: Timestamp,
) -> StoreResult<Vec<Flow>> {
    let plan = sluice_store::list_plan::plan(q);
    let (sql, params) = plan.sql(&DIALECT, COLUMNS, q.after.is_some());
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for param in params {
        query = match param {
            Param::Env => query.bind(env.to_string()),
            Param::Now => query.bind(now.0),
            Param::CursorCreatedAt => query.bind(q.after.map(|(t, _)| t.0)),
            Param::CursorId => query.bind(q.after.map(|(_, id)| id.to_string())),
            Param::User => query.bind(q.user_id.clone()),
            Param::OverdueIds => unreachable!("SQLite reads the overdue flows in the query"),
        };
    }
    let rows = query.fetch_all(pool).await.map_err(db)?;
    rows.iter().map(flow_from_row).collect()
}

/// One page of the incremental sync, oldest change first.
pub(crate) async fn updated(
    pool: &SqlitePool,
    env: EnvironmentId,
    q: &UpdatedQuery,
) -> StoreResult<Vec<Flow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM flows INDEXED BY flows_by_update WHERE environment_id = ?1 \
         AND (updated_at, id) > (?2, ?3) AND updated_at < ?4 ORDER BY updated_at, id LIMIT ?5"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(env.to_string())
        .bind(q.after.0.0)
        .bind(q.after.1.to_string())
        .bind(q.before.0)
        .bind(i64::from(q.limit))
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter().map(flow_from_row).collect()
}

pub(crate) async fn waiting(pool: &SqlitePool, since: Timestamp) -> StoreResult<Vec<Flow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM flows WHERE execution_state IN ('broadcasted', 'source_detected') \
         AND updated_at >= ?1 ORDER BY updated_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(since.0)
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter().map(flow_from_row).collect()
}

pub(crate) async fn expired_deposit(
    pool: &SqlitePool,
    now: Timestamp,
    limit: u32,
) -> StoreResult<Vec<Flow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM flows WHERE execution_state IN ('broadcasted', 'source_detected') \
         AND expires_at <= ?1 AND EXISTS (SELECT 1 FROM deposit_addresses d WHERE d.flow_id = flows.id) \
         ORDER BY expires_at LIMIT ?2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now.0)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter().map(flow_from_row).collect()
}

pub(crate) async fn overdue(
    pool: &SqlitePool,
    now: Timestamp,
    limit: u32,
) -> StoreResult<Vec<(EnvironmentId, FlowId)>> {
    let rows = sqlx::query(
        "SELECT environment_id, id FROM flows WHERE execution_state IN ('initiated', 'source_attached', 'quoted', 'signing') \
         AND expires_at <= ?1 ORDER BY expires_at LIMIT ?2",
    )
    .bind(now.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            let env: String = row.try_get("environment_id").map_err(db)?;
            let id: String = row.try_get("id").map_err(db)?;
            match (env.parse(), id.parse()) {
                (Ok(env), Ok(id)) => Ok((env, id)),
                _ => Err(StoreError::Corrupt(format!("flow ids {env:?} {id:?}"))),
            }
        })
        .collect()
}

pub(crate) async fn events(pool: &SqlitePool, id: FlowId) -> StoreResult<Vec<StoredEvent>> {
    let rows = sqlx::query("SELECT id, event_type, payload, created_at FROM flow_events WHERE flow_id = ?1 ORDER BY seq")
        .bind(id.to_string())
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|row| {
            let payload: String = row.try_get("payload").map_err(db)?;
            Ok(StoredEvent {
                id: row.try_get("id").map_err(db)?,
                event_type: row.try_get("event_type").map_err(db)?,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))?,
                created_at: Timestamp(row.try_get("created_at").map_err(db)?),
            })
        })
        .collect()
}
