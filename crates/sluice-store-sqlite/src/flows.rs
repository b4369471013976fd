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

pub(crate) async fn list(
    pool: &SqlitePool,
    env: EnvironmentId,
    q: &FlowQuery,
    now: Timestamp,
) -> StoreResult<Vec<Flow>> {
    let (state, mode) = execution_filter(q.execution_state);
    let sql = format!(
        "SELECT {COLUMNS} FROM flows WHERE environment_id = ?1 \
         AND (?2 = 0 \
              OR (?2 = 1 AND (execution_state = 'expired' OR (execution_state IN ('initiated', 'source_attached', 'quoted', 'signing') AND expires_at <= ?3))) \
              OR (?2 = 2 AND execution_state = ?4 AND expires_at > ?3) \
              OR (?2 = 3 AND execution_state = ?4)) \
         AND (?5 IS NULL OR settlement_state = ?5) \
         AND (?6 IS NULL OR mode = ?6) \
         AND (?7 IS NULL OR created_at < ?7 OR (created_at = ?7 AND id < ?8)) \
         ORDER BY created_at DESC, id DESC LIMIT ?9"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(env.to_string())
        .bind(mode)
        .bind(now.0)
        .bind(state)
        .bind(q.settlement_state.map(|s| s.as_str()))
        .bind(q.mode.map(|m| m.as_str()))
        .bind(q.after.map(|(t, _)| t.0))
        .bind(q.after.map(|(_, id)| id.to_string()))
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
