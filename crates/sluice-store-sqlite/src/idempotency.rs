//! Idempotency keys on SQLite. Each step runs inside `BEGIN IMMEDIATE`, so reading the key's
//! row and acting on it cannot be interleaved with another claim.

use sluice_store::*;
use sqlx::{Row, Sqlite, Transaction};

use crate::{SqliteStore, db};

pub(crate) async fn claim(store: &SqliteStore, c: &IdempotencyClaim) -> StoreResult<ClaimOutcome> {
    let mut tx = store.write().await?;
    let env = c.key.environment_id.to_string();
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (environment_id, path, key, request_hash, state, created_at, lease_until) \
         VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6) ON CONFLICT DO NOTHING",
    )
    .bind(&env)
    .bind(&c.key.path)
    .bind(&c.key.key)
    .bind(c.request_hash.as_slice())
    .bind(c.now.0)
    .bind(c.lease_until.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if inserted.rows_affected() == 1 {
        tx.commit().await.map_err(db)?;
        return Ok(ClaimOutcome::Claimed);
    }
    let row = sqlx::query("SELECT request_hash, state, status, body, created_at, lease_until FROM idempotency_keys WHERE environment_id = ?1 AND path = ?2 AND key = ?3")
        .bind(&env)
        .bind(&c.key.path)
        .bind(&c.key.key)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let existing = ExistingKey {
        request_hash: row.try_get("request_hash").map_err(db)?,
        state: row.try_get("state").map_err(db)?,
        status: row.try_get("status").map_err(db)?,
        body: row.try_get("body").map_err(db)?,
        created_at: row.try_get("created_at").map_err(db)?,
        lease_until: row.try_get("lease_until").map_err(db)?,
    };
    let outcome = existing.outcome(c);
    if outcome == ClaimOutcome::Claimed {
        sqlx::query(
            "UPDATE idempotency_keys SET request_hash = ?4, state = 'running', status = NULL, body = NULL, created_at = ?5, lease_until = ?6 \
             WHERE environment_id = ?1 AND path = ?2 AND key = ?3",
        )
        .bind(&env)
        .bind(&c.key.path)
        .bind(&c.key.key)
        .bind(c.request_hash.as_slice())
        .bind(c.now.0)
        .bind(c.lease_until.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(outcome)
}

pub(crate) async fn complete(
    tx: &mut sqlx::SqliteConnection,
    a: &IdempotentAnswer,
) -> StoreResult<()> {
    sqlx::query("UPDATE idempotency_keys SET state = 'done', status = ?4, body = ?5 WHERE environment_id = ?1 AND path = ?2 AND key = ?3")
        .bind(a.key.environment_id.to_string())
        .bind(&a.key.path)
        .bind(&a.key.key)
        .bind(i64::from(a.status))
        .bind(&a.body)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    Ok(())
}

pub(crate) async fn release(
    tx: &mut Transaction<'static, Sqlite>,
    key: &IdempotencyKeyRef,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE environment_id = ?1 AND path = ?2 AND key = ?3 AND state = 'running'")
        .bind(key.environment_id.to_string())
        .bind(&key.path)
        .bind(&key.key)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}
