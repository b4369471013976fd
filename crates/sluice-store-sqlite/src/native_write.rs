//! The statements of a group-commit batch (see `batch.rs`), on the writer thread's
//! `rusqlite` connection: insert a flow, and the state-guarded transition write with its
//! outbox rows (events and webhook deliveries) in the same transaction.

use rusqlite::types::Value;
use rusqlite::{Connection, params, params_from_iter};
use sluice_domain::transitions::Rejection;
use sluice_domain::{EnvironmentId, Flow, FlowEvent, Timestamp};
use sluice_store::*;

use crate::native::{any_denied, db};

/// Inserts a new flow, and the idempotent answer announcing it, in the batch's transaction.
pub(crate) fn insert_flow(
    conn: &Connection,
    flow: &Flow,
    answer: Option<&IdempotentAnswer>,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO flows (id, environment_id, mode, execution_state, settlement_state, risk_state, session_token_hash, \
         expires_at, created_at, updated_at, revision, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            flow.id.to_string(),
            flow.environment_id.to_string(),
            flow.mode.as_str(),
            flow.execution_state.as_str(),
            flow.settlement_state.as_str(),
            flow.risk_state.as_str(),
            flow.session_token_hash.map(|h| h.0.to_vec()),
            flow.expires_at.0,
            flow.created_at.0,
            flow.updated_at.0,
            encode_flow_doc(flow),
        ])
    })
    .map_err(db)?;
    if let Some(a) = answer {
        crate::idempotency::complete(conn, a)?;
    }
    Ok(())
}

/// Screens the keys, runs `op` against the flow as `current` reads it, and writes its change
/// and its outbox rows.
pub(crate) fn apply_transition(
    conn: &Connection,
    current: impl FnOnce(&Connection) -> StoreResult<Option<Flow>>,
    env: EnvironmentId,
    screening_keys: &[String],
    op: ScreenedOp,
) -> StoreResult<Result<Flow, Rejection>> {
    let hit = any_denied(conn, env, screening_keys)?;
    let current = current(conn)?;
    let change = match op(current.as_ref(), hit) {
        Ok(change) => change,
        Err(rejection) => return Ok(Err(rejection)),
    };
    let Some(before) = current else {
        // No row to guard: the write the revision check would refuse.
        return Err(StoreError::Conflict(format!(
            "flow {} changed concurrently",
            change.flow.id
        )));
    };
    write_change(conn, &before, &change.flow)?;
    if !change.events.is_empty() {
        let endpoints = live_endpoints(conn, env)?;
        for event in &change.events {
            insert_event(conn, event)?;
            for delivery in Delivery::fan_out(&endpoints, event) {
                insert_delivery(conn, &delivery)?;
            }
        }
    }
    let mut flow = change.flow;
    flow.revision = before.revision + 1;
    Ok(Ok(flow))
}

/// The guarded write: it only lands on the revision that was read (`before`'s), so even a
/// bug that skipped the batch's lock could not overwrite a concurrent change.
///
/// It sets only the columns whose value changed from `before` (plus `updated_at`, `revision`
/// and `doc`). SQLite rewrites every index that holds a column named in `SET`, whether or
/// not its value moved; on a million-flow table the entries of an old flow share no page
/// with any other write, so each needless one is one more 4 KiB page in the WAL. A re-attach
/// names neither state nor expiry and so leaves four of the list indexes untouched.
pub(crate) fn write_change(conn: &Connection, before: &Flow, flow: &Flow) -> StoreResult<()> {
    let mut set = String::from("updated_at = ?1, revision = revision + 1, doc = ?2");
    let mut values: Vec<Value> = vec![
        Value::Integer(flow.updated_at.0),
        Value::Text(encode_flow_doc(flow)),
        Value::Text(flow.id.to_string()),
        Value::Integer(before.revision),
    ];
    let mut column = |name: &str, value: Value| {
        values.push(value);
        set.push_str(&format!(", {name} = ?{}", values.len()));
    };
    if flow.execution_state != before.execution_state {
        column(
            "execution_state",
            Value::Text(flow.execution_state.as_str().into()),
        );
    }
    if flow.settlement_state != before.settlement_state {
        column(
            "settlement_state",
            Value::Text(flow.settlement_state.as_str().into()),
        );
    }
    if flow.risk_state != before.risk_state {
        column("risk_state", Value::Text(flow.risk_state.as_str().into()));
    }
    if flow.session_token_hash != before.session_token_hash {
        let hash = flow.session_token_hash.map(|h| h.0.to_vec());
        column("session_token_hash", hash.map_or(Value::Null, Value::Blob));
    }
    if flow.expires_at != before.expires_at {
        column("expires_at", Value::Integer(flow.expires_at.0));
    }
    let changed = conn
        .prepare_cached(&format!(
            "UPDATE flows SET {set} WHERE id = ?3 AND revision = ?4"
        ))
        .and_then(|mut update| update.execute(params_from_iter(values)))
        .map_err(db)?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "flow {} changed concurrently",
            flow.id
        )))
    }
}

fn insert_event(conn: &Connection, event: &FlowEvent) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO flow_events (id, environment_id, flow_id, event_type, payload, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            event.id.to_string(),
            event.environment_id.to_string(),
            event.flow_id.to_string(),
            event.event_type,
            event.payload.to_string(),
            event.created_at.0,
        ])
    })
    .map_err(db)?;
    Ok(())
}

/// The environment's enabled endpoints, for fan-out.
fn live_endpoints(conn: &Connection, env: EnvironmentId) -> StoreResult<Vec<WebhookEndpoint>> {
    let mut select = conn
        .prepare_cached(
            "SELECT id, url, event_types, enabled, secret_version, created_at, updated_at \
             FROM webhook_endpoints WHERE environment_id = ?1 AND enabled",
        )
        .map_err(db)?;
    let mut rows = select.query([env.to_string()]).map_err(db)?;
    let mut endpoints = Vec::new();
    while let Some(row) = rows.next().map_err(db)? {
        let event_types: Option<String> = row.get(2).map_err(db)?;
        endpoints.push(WebhookEndpoint {
            id: row.get(0).map_err(db)?,
            environment_id: env,
            url: row.get(1).map_err(db)?,
            event_types: decode_event_types(event_types.as_deref())?,
            enabled: row.get(3).map_err(db)?,
            secret_version: row.get(4).map_err(db)?,
            created_at: Timestamp(row.get(5).map_err(db)?),
            updated_at: Timestamp(row.get(6).map_err(db)?),
        });
    }
    Ok(endpoints)
}

fn insert_delivery(conn: &Connection, d: &Delivery) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO webhook_deliveries (id, environment_id, endpoint_id, event_id, event_type, payload, status, \
         attempts, next_attempt_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            d.id,
            d.environment_id.to_string(),
            d.endpoint_id,
            d.event_id,
            d.event_type,
            d.payload,
            d.status.as_str(),
            d.attempts,
            d.next_attempt_at.map(|t| t.0),
            d.created_at.0,
        ])
    })
    .map_err(db)?;
    Ok(())
}

#[cfg(test)]
mod tests;
