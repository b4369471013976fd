//! API-token listings and last-use times, and the environment list, on SQLite: operator
//! reads (`sluice env list`, `sluice token list`) and one small write per token per minute.

use sluice_domain::{EnvironmentId, Timestamp, TokenHash};
use sluice_store::*;
use sqlx::Row;

use crate::{SqliteStore, db};

pub(crate) async fn environments(store: &SqliteStore) -> StoreResult<Vec<Environment>> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM environments ORDER BY created_at, id")
            .fetch_all(&store.reader)
            .await
            .map_err(db)?;
    let mut all = Vec::with_capacity(ids.len());
    for id in ids {
        let id: EnvironmentId = id
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("environment id {id:?}")))?;
        if let Some(env) = store.environment(id).await? {
            all.push(env);
        }
    }
    Ok(all)
}

pub(crate) async fn list(
    store: &SqliteStore,
    env: EnvironmentId,
) -> StoreResult<Vec<ApiTokenSummary>> {
    let rows = sqlx::query(
        "SELECT prefix, scopes, created_at, revoked_at, last_used_at FROM api_tokens \
         WHERE environment_id = ?1 ORDER BY created_at, prefix",
    )
    .bind(env.to_string())
    .fetch_all(&store.reader)
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
    store: &SqliteStore,
    hash: &TokenHash,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = ?2 \
         WHERE token_hash = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
    )
    .bind(hash.0.as_slice())
    .bind(now.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}
