//! Flow rows on SQLite: load, list, insert, and the state-guarded transition write.

use sluice_domain::transitions::Rejection;
use sluice_domain::{EnvironmentId, Flow, FlowId, Timestamp};
use sluice_store::*;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, SqliteConnection};

use crate::{db, idempotency};

const COLUMNS: &str = "environment_id, execution_state, settlement_state, risk_state, session_token_hash, expires_at, updated_at, revision, doc";

/// One flow by ID, only within its own environment: another environment's flow is "absent".
const SELECT_ONE: &str = "SELECT environment_id, execution_state, settlement_state, risk_state, session_token_hash, \
     expires_at, updated_at, revision, doc FROM flows WHERE id = ?1 AND environment_id = ?2";

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

pub(crate) async fn load(
    pool: &SqlitePool,
    env: EnvironmentId,
    id: FlowId,
) -> StoreResult<Option<Flow>> {
    let row = sqlx::query(SELECT_ONE)
        .bind(id.to_string())
        .bind(env.to_string())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.as_ref().map(flow_from_row).transpose()
}

/// Inserts a new flow (and the idempotent answer announcing it) inside the caller's transaction.
pub(crate) async fn insert_in(
    conn: &mut SqliteConnection,
    flow: &Flow,
    answer: Option<&IdempotentAnswer>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO flows (id, environment_id, mode, execution_state, settlement_state, risk_state, session_token_hash, \
         expires_at, created_at, updated_at, revision, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11)",
    )
    .bind(flow.id.to_string())
    .bind(flow.environment_id.to_string())
    .bind(flow.mode.as_str())
    .bind(flow.execution_state.as_str())
    .bind(flow.settlement_state.as_str())
    .bind(flow.risk_state.as_str())
    .bind(flow.session_token_hash.map(|h| h.0.to_vec()))
    .bind(flow.expires_at.0)
    .bind(flow.created_at.0)
    .bind(flow.updated_at.0)
    .bind(encode_flow_doc(flow))
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if let Some(answer) = answer {
        idempotency::complete(conn, answer).await?;
    }
    Ok(())
}

/// Runs `op` against the flow and writes its change, inside the caller's transaction (the
/// group-commit batch, see `batch.rs`).
pub(crate) async fn apply_transition(
    tx: &mut SqliteConnection,
    env: EnvironmentId,
    id: FlowId,
    op: FlowOp,
) -> StoreResult<Result<Flow, Rejection>> {
    let row = sqlx::query(SELECT_ONE)
        .bind(id.to_string())
        .bind(env.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    let current = row.as_ref().map(flow_from_row).transpose()?;
    let change = match op(current.as_ref()) {
        Ok(change) => change,
        Err(rejection) => return Ok(Err(rejection)),
    };
    let expected_revision = current.map_or(-1, |f| f.revision);
    write_change(tx, &change.flow, expected_revision).await?;
    for event in &change.events {
        sqlx::query("INSERT INTO flow_events (id, environment_id, flow_id, event_type, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .bind(event.id.to_string())
            .bind(event.environment_id.to_string())
            .bind(event.flow_id.to_string())
            .bind(event.event_type)
            .bind(event.payload.to_string())
            .bind(event.created_at.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    if !change.events.is_empty() {
        let endpoints = crate::webhooks::live_endpoints(tx, env).await?;
        for event in &change.events {
            for delivery in Delivery::fan_out(&endpoints, event) {
                crate::webhooks::insert_delivery(tx, &delivery).await?;
            }
        }
    }
    let mut flow = change.flow;
    flow.revision = expected_revision + 1;
    Ok(Ok(flow))
}

/// The guarded write: it only lands on the revision that was read, so even a bug that
/// skipped the lock could not overwrite a concurrent change.
async fn write_change(
    tx: &mut SqliteConnection,
    flow: &Flow,
    expected_revision: i64,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE flows SET execution_state = ?1, settlement_state = ?2, risk_state = ?3, session_token_hash = ?4, \
         expires_at = ?5, updated_at = ?6, revision = revision + 1, doc = ?7 WHERE id = ?8 AND revision = ?9",
    )
    .bind(flow.execution_state.as_str())
    .bind(flow.settlement_state.as_str())
    .bind(flow.risk_state.as_str())
    .bind(flow.session_token_hash.map(|h| h.0.to_vec()))
    .bind(flow.expires_at.0)
    .bind(flow.updated_at.0)
    .bind(encode_flow_doc(flow))
    .bind(flow.id.to_string())
    .bind(expected_revision)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "flow {} changed concurrently",
            flow.id
        )))
    }
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

pub(crate) async fn watched(pool: &SqlitePool, limit: u32) -> StoreResult<Vec<Flow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM flows WHERE execution_state IN ('broadcasted', 'source_detected') ORDER BY updated_at LIMIT ?1"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
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
