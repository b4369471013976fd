//! API-token listings and last-use times, and the environment list, on PostgreSQL: operator
//! reads (`sluice env list`, `sluice token list`) and one small write per token per minute.

use sluice_domain::{EnvironmentId, Timestamp, TokenHash};
use sluice_store::*;
use sqlx::Row;

use crate::{PostgresStore, db, environment_from_row};

pub(crate) async fn environments(store: &PostgresStore) -> StoreResult<Vec<Environment>> {
    let rows = sqlx::query("SELECT * FROM environments ORDER BY created_at, id")
        .fetch_all(&store.pool)
        .await
        .map_err(db)?;
    rows.iter().map(environment_from_row).collect()
}

pub(crate) async fn list(
    store: &PostgresStore,
    env: EnvironmentId,
) -> StoreResult<Vec<ApiTokenSummary>> {
    let rows = sqlx::query(
        "SELECT prefix, scopes, created_at, revoked_at, last_used_at FROM api_tokens \
         WHERE environment_id = $1 ORDER BY created_at, prefix",
    )
    .bind(env.as_uuid())
    .fetch_all(&store.pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            let time = |column: &str| -> StoreResult<Option<Timestamp>> {
                Ok(row
                    .try_get::<Option<i64>, _>(column)
                    .map_err(db)?
                    .map(Timestamp))
            };
            Ok(ApiTokenSummary {
                prefix: row.try_get("prefix").map_err(db)?,
                scopes: decode_scopes(row.try_get("scopes").map_err(db)?),
                created_at: Timestamp(row.try_get("created_at").map_err(db)?),
                revoked_at: time("revoked_at")?,
                last_used_at: time("last_used_at")?,
            })
        })
        .collect()
}

pub(crate) async fn touch(
    store: &PostgresStore,
    hash: &TokenHash,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2 \
         WHERE token_hash = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
    )
    .bind(hash.0.as_slice())
    .bind(now.0)
    .execute(&store.pool)
    .await
    .map_err(db)?;
    Ok(())
}
