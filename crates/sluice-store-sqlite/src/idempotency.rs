//! Idempotency keys on SQLite, written by the group-commit writer (`batch.rs`) like flows.
//! They used to take their own `BEGIN IMMEDIATE` on a second connection; under attach load
//! that transaction waited for SQLite's write lock behind whole batches, polled by the busy
//! handler's growing sleeps, so keyed creates took up to a second while unkeyed ones took
//! milliseconds. In the writer's batch a claim costs one statement or two and shares the
//! batch's fsync. The batch is one transaction, so reading a key's row and acting on it
//! cannot be interleaved with another claim.

use rusqlite::{Connection, OptionalExtension, params};
use sluice_store::*;

use crate::native::db;

/// What a key job does.
pub(crate) enum KeyOp {
    Claim(IdempotencyClaim),
    /// Stores an answer that is not a new flow (a refusal); a new flow's answer is written
    /// with the flow.
    Complete(IdempotentAnswer),
    Release(IdempotencyKeyRef),
}

/// Runs `op`; `Claim` answers its outcome, the others `Claimed` (nothing to tell).
pub(crate) fn run(conn: &Connection, op: &KeyOp) -> StoreResult<ClaimOutcome> {
    match op {
        KeyOp::Claim(c) => claim(conn, c),
        KeyOp::Complete(a) => complete(conn, a).map(|()| ClaimOutcome::Claimed),
        KeyOp::Release(k) => release(conn, k).map(|()| ClaimOutcome::Claimed),
    }
}

fn claim(conn: &Connection, c: &IdempotencyClaim) -> StoreResult<ClaimOutcome> {
    let env = c.key.environment_id.to_string();
    let inserted = conn
        .prepare_cached(
            "INSERT INTO idempotency_keys (environment_id, path, key, request_hash, state, created_at, lease_until) \
             VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut s| {
            s.execute(params![env, c.key.path, c.key.key, c.request_hash.as_slice(), c.now.0, c.lease_until.0])
        })
        .map_err(db)?;
    if inserted == 1 {
        return Ok(ClaimOutcome::Claimed);
    }
    let existing = conn
        .prepare_cached(
            "SELECT request_hash, state, status, body, created_at, lease_until FROM idempotency_keys \
             WHERE environment_id = ?1 AND path = ?2 AND key = ?3",
        )
        .and_then(|mut s| {
            s.query_row(params![env, c.key.path, c.key.key], |row| {
                Ok(ExistingKey {
                    request_hash: row.get(0)?,
                    state: row.get(1)?,
                    status: row.get(2)?,
                    body: row.get(3)?,
                    created_at: row.get(4)?,
                    lease_until: row.get(5)?,
                })
            })
            .optional()
        })
        .map_err(db)?
        .ok_or_else(|| StoreError::Corrupt("an idempotency key vanished inside its transaction".into()))?;
    let outcome = existing.outcome(c);
    if outcome == ClaimOutcome::Claimed {
        conn.prepare_cached(
            "UPDATE idempotency_keys SET request_hash = ?4, state = 'running', status = NULL, body = NULL, created_at = ?5, lease_until = ?6 \
             WHERE environment_id = ?1 AND path = ?2 AND key = ?3",
        )
        .and_then(|mut s| {
            s.execute(params![env, c.key.path, c.key.key, c.request_hash.as_slice(), c.now.0, c.lease_until.0])
        })
        .map_err(db)?;
    }
    Ok(outcome)
}

/// Marks a claimed key answered; also used by `insert_flow` for a new flow's answer.
pub(crate) fn complete(conn: &Connection, a: &IdempotentAnswer) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE idempotency_keys SET state = 'done', status = ?4, body = ?5 \
         WHERE environment_id = ?1 AND path = ?2 AND key = ?3",
    )
    .and_then(|mut s| {
        s.execute(params![
            a.key.environment_id.to_string(),
            a.key.path,
            a.key.key,
            i64::from(a.status),
            a.body,
        ])
    })
    .map_err(db)?;
    Ok(())
}

fn release(conn: &Connection, key: &IdempotencyKeyRef) -> StoreResult<()> {
    conn.prepare_cached(
        "DELETE FROM idempotency_keys WHERE environment_id = ?1 AND path = ?2 AND key = ?3 AND state = 'running'",
    )
    .and_then(|mut s| s.execute(params![key.environment_id.to_string(), key.path, key.key]))
    .map_err(db)?;
    Ok(())
}
