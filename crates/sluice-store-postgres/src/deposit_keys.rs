//! Deposit keys on PostgreSQL (see `sluice_store::DepositKeyRecord`).

use sluice_domain::{EnvironmentId, Timestamp};
use sluice_store::*;
use sqlx::Row;

use crate::{PostgresStore, db};

pub(crate) async fn set(store: &PostgresStore, key: &DepositKeyRecord) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO deposit_keys (environment_id, chain_family, xpub, fingerprint, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (environment_id, chain_family) DO UPDATE \
         SET xpub = excluded.xpub, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at",
    )
    .bind(key.environment_id.as_uuid())
    .bind(key.family.as_str())
    .bind(&key.xpub)
    .bind(&key.fingerprint)
    .bind(key.updated_at.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(crate) async fn list(
    store: &PostgresStore,
    env: EnvironmentId,
) -> StoreResult<Vec<DepositKeyRecord>> {
    let rows = sqlx::query(
        "SELECT chain_family, xpub, fingerprint, next_index, updated_at FROM deposit_keys \
         WHERE environment_id = $1 ORDER BY chain_family",
    )
    .bind(env.as_uuid())
    .fetch_all(&store.pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            Ok(DepositKeyRecord {
                environment_id: env,
                family: decode_family(&row.try_get::<String, _>(0).map_err(db)?)?,
                xpub: row.try_get(1).map_err(db)?,
                fingerprint: row.try_get(2).map_err(db)?,
                next_index: row.try_get(3).map_err(db)?,
                updated_at: Timestamp(row.try_get(4).map_err(db)?),
            })
        })
        .collect()
}
