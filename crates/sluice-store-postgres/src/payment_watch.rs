//! The chain watcher's sighted wallet payments on PostgreSQL (see `sluice_store::PaymentSighting`).
//! Rare writes (one per scanned range, one per verdict), so sqlx's write connection.

use sluice_domain::Timestamp;
use sluice_store::*;
use sqlx::{Postgres, Row, Transaction};

use crate::{PostgresStore, db};

fn parse_id<T: std::str::FromStr>(text: &str) -> StoreResult<T> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("id {text:?}")))
}

/// Inserts `sightings` in `tx`; a hash already sighted keeps its flow.
pub(crate) async fn insert(
    tx: &mut Transaction<'static, Postgres>,
    chain_id: &str,
    sightings: &[PaymentSighting],
    now: Timestamp,
) -> StoreResult<()> {
    for s in sightings {
        sqlx::query(
            "INSERT INTO payment_sightings (chain_id, tx_hash, environment_id, flow_id, \
             block_number, block_hash, seen_at) VALUES ($1, $2, $3::uuid, $4::uuid, $5, $6, $7) \
             ON CONFLICT DO NOTHING",
        )
        .bind(chain_id)
        .bind(&s.tx_hash)
        .bind(s.environment_id.to_string())
        .bind(s.flow_id.to_string())
        .bind(encode_block(s.block_number))
        .bind(&s.block_hash)
        .bind(now.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}

pub(crate) async fn record(
    store: &PostgresStore,
    chain_id: &str,
    sighting: &PaymentSighting,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    insert(&mut tx, chain_id, std::slice::from_ref(sighting), now).await?;
    tx.commit().await.map_err(db)
}

pub(crate) async fn all(
    store: &PostgresStore,
    chain_id: &str,
) -> StoreResult<Vec<PaymentSighting>> {
    let rows = sqlx::query(
        "SELECT environment_id::text, flow_id::text, tx_hash, block_number, block_hash \
         FROM payment_sightings WHERE chain_id = $1 AND status = 'pending' ORDER BY block_number, tx_hash",
    )
    .bind(chain_id)
    .fetch_all(&store.pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            Ok(PaymentSighting {
                environment_id: parse_id(&row.try_get::<String, _>(0).map_err(db)?)?,
                flow_id: parse_id(&row.try_get::<String, _>(1).map_err(db)?)?,
                tx_hash: row.try_get(2).map_err(db)?,
                block_number: decode_block(row.try_get(3).map_err(db)?)?,
                block_hash: row.try_get(4).map_err(db)?,
            })
        })
        .collect()
}

pub(crate) async fn decide(
    store: &PostgresStore,
    chain_id: &str,
    tx_hash: &str,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query(
        "UPDATE payment_sightings SET status = 'decided' WHERE chain_id = $1 AND tx_hash = $2",
    )
    .bind(chain_id)
    .bind(tx_hash)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

/// Part of a rewind: pending sightings at or above `from_block` are scanned again.
pub(crate) async fn forget_from(
    tx: &mut Transaction<'static, Postgres>,
    chain_id: &str,
    from_block: u64,
) -> StoreResult<()> {
    sqlx::query("DELETE FROM payment_sightings WHERE chain_id = $1 AND status = 'pending' AND block_number >= $2")
        .bind(chain_id)
        .bind(encode_block(from_block))
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}
