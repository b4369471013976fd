//! Exchange settings on PostgreSQL (see `sluice_store::ExchangeRecord`).

use sluice_domain::Timestamp;
use sluice_store::*;
use sqlx::Row;

use crate::{PostgresStore, db};

pub(crate) async fn set(store: &PostgresStore, exchange: &ExchangeRecord) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO exchanges (environment_id, provider, api_key_name, api_key_file, updated_at) \
         VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT (environment_id, provider) DO UPDATE \
         SET api_key_name = excluded.api_key_name, api_key_file = excluded.api_key_file, \
         updated_at = excluded.updated_at",
    )
    .bind(exchange.environment_id.to_string())
    .bind(&exchange.provider)
    .bind(&exchange.api_key_name)
    .bind(&exchange.api_key_file)
    .bind(exchange.updated_at.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(crate) async fn all(store: &PostgresStore) -> StoreResult<Vec<ExchangeRecord>> {
    let rows = sqlx::query(
        "SELECT environment_id::text, provider, api_key_name, api_key_file, updated_at FROM exchanges \
         ORDER BY environment_id, provider",
    )
    .fetch_all(&store.pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            let env: String = row.try_get(0).map_err(db)?;
            Ok(ExchangeRecord {
                environment_id: env
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("environment id {env:?}")))?,
                provider: row.try_get(1).map_err(db)?,
                api_key_name: row.try_get(2).map_err(db)?,
                api_key_file: row.try_get(3).map_err(db)?,
                updated_at: Timestamp(row.try_get(4).map_err(db)?),
            })
        })
        .collect()
}
