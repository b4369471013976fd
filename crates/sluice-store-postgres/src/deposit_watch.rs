//! The deposit watcher's state on PostgreSQL (see `sluice_store::deposit_watch`). These writes
//! are rare (one per scanned block range, one per confirmed transfer), so they are plain
//! transactions beside the group-commit writer. The lease is one upsert: PostgreSQL's row
//! lock on the conflicting row decides between instances.

use sluice_domain::deposit_key::ChainFamily;
use sluice_domain::deposit_transfer::ObservedTransfer;
use sluice_domain::{FlowId, Timestamp};
use sluice_store::*;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::{PostgresStore, db};

fn parse_id<T: std::str::FromStr>(text: &str) -> StoreResult<T> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("id {text:?}")))
}

pub(crate) async fn watched_addresses(
    store: &PostgresStore,
    family: ChainFamily,
    since: Timestamp,
) -> StoreResult<Vec<WatchedAddress>> {
    let rows = sqlx::query(
        "SELECT environment_id::text, flow_id::text, address, created_at FROM deposit_addresses \
         WHERE chain_family = $1 AND created_at >= $2",
    )
    .bind(family.as_str())
    .bind(since.0)
    .fetch_all(&store.pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            Ok(WatchedAddress {
                environment_id: parse_id(&row.try_get::<String, _>(0).map_err(db)?)?,
                flow_id: parse_id(&row.try_get::<String, _>(1).map_err(db)?)?,
                address: row.try_get::<String, _>(2).map_err(db)?,
                created_at: Timestamp(row.try_get(3).map_err(db)?),
            })
        })
        .collect()
}

pub(crate) async fn acquire_lease(
    store: &PostgresStore,
    name: &str,
    holder: &str,
    now: Timestamp,
    until: Timestamp,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let taken = sqlx::query(
        "INSERT INTO worker_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE worker_leases.holder = excluded.holder OR worker_leases.expires_at <= $4",
    )
    .bind(name)
    .bind(holder)
    .bind(until.0)
    .bind(now.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected();
    tx.commit().await.map_err(db)?;
    Ok(taken == 1)
}

pub(crate) async fn release_lease(
    store: &PostgresStore,
    name: &str,
    holder: &str,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query("DELETE FROM worker_leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(crate) async fn scan_cursor(
    store: &PostgresStore,
    chain_id: &str,
) -> StoreResult<Option<ScanCursor>> {
    let row = sqlx::query("SELECT next_block, last_hash FROM chain_cursors WHERE chain_id = $1")
        .bind(chain_id)
        .fetch_optional(&store.pool)
        .await
        .map_err(db)?;
    row.map(|row| {
        Ok(ScanCursor {
            next_block: decode_block(row.try_get(0).map_err(db)?)?,
            last_hash: row.try_get(1).map_err(db)?,
        })
    })
    .transpose()
}

pub(crate) async fn record_scan(
    store: &PostgresStore,
    chain_id: &str,
    seen: &[SeenTransfer],
    sightings: &[PaymentSighting],
    cursor: &ScanCursor,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    crate::payment_watch::insert(&mut tx, chain_id, sightings, now).await?;
    for s in seen {
        let t = &s.transfer;
        sqlx::query(
            "INSERT INTO deposit_transfers (chain_id, tx_hash, log_index, environment_id, flow_id, \
             token_address, amount, block_number, block_hash, seen_at) \
             VALUES ($1, $2, $3, $4::uuid, $5::uuid, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        )
        .bind(chain_id)
        .bind(&t.tx_hash)
        .bind(encode_log_index(t.log_index))
        .bind(s.environment_id.to_string())
        .bind(s.flow_id.to_string())
        .bind(&t.token_address)
        .bind(t.amount.to_string())
        .bind(encode_block(t.block_number))
        .bind(&s.block_hash)
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    sqlx::query(
        "INSERT INTO chain_cursors (chain_id, next_block, last_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (chain_id) DO UPDATE SET next_block = excluded.next_block, last_hash = excluded.last_hash",
    )
    .bind(chain_id)
    .bind(encode_block(cursor.next_block))
    .bind(&cursor.last_hash)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

fn seen_transfer(chain_id: &str, row: &PgRow) -> StoreResult<SeenTransfer> {
    Ok(SeenTransfer {
        environment_id: parse_id(&row.try_get::<String, _>(0).map_err(db)?)?,
        flow_id: parse_id(&row.try_get::<String, _>(1).map_err(db)?)?,
        transfer: ObservedTransfer {
            chain_id: chain_id.to_owned(),
            token_address: row.try_get(2).map_err(db)?,
            tx_hash: row.try_get(3).map_err(db)?,
            log_index: decode_log_index(row.try_get(4).map_err(db)?),
            amount: decode_amount(&row.try_get::<String, _>(5).map_err(db)?)?,
            block_number: decode_block(row.try_get(6).map_err(db)?)?,
        },
        block_hash: row.try_get(7).map_err(db)?,
    })
}

pub(crate) async fn pending_transfers(
    store: &PostgresStore,
    chain_id: &str,
    up_to_block: u64,
) -> StoreResult<Vec<SeenTransfer>> {
    let rows = sqlx::query(
        "SELECT environment_id::text, flow_id::text, token_address, tx_hash, log_index, amount, block_number, \
         block_hash FROM deposit_transfers WHERE chain_id = $1 AND status = 'pending' \
         AND block_number <= $2 ORDER BY block_number, tx_hash, log_index",
    )
    .bind(chain_id)
    .bind(encode_block(up_to_block))
    .fetch_all(&store.pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| seen_transfer(chain_id, row))
        .collect()
}

pub(crate) async fn has_pending_transfers(
    store: &PostgresStore,
    flow: FlowId,
) -> StoreResult<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM deposit_transfers WHERE flow_id = $1::uuid AND status = 'pending')",
    )
    .bind(flow.to_string())
    .fetch_one(&store.pool)
    .await
    .map_err(db)
}

pub(crate) async fn mark_recorded(
    store: &PostgresStore,
    chain_id: &str,
    seen: &SeenTransfer,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query(
        "UPDATE deposit_transfers SET status = 'recorded' \
         WHERE chain_id = $1 AND tx_hash = $2 AND log_index = $3",
    )
    .bind(chain_id)
    .bind(&seen.transfer.tx_hash)
    .bind(encode_log_index(seen.transfer.log_index))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(crate) async fn rewind_scan(
    store: &PostgresStore,
    chain_id: &str,
    from_block: u64,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    crate::payment_watch::forget_from(&mut tx, chain_id, from_block).await?;
    let from = encode_block(from_block);
    sqlx::query(
        "DELETE FROM deposit_transfers WHERE chain_id = $1 AND status = 'pending' AND block_number >= $2",
    )
    .bind(chain_id)
    .bind(from)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query(
        "UPDATE chain_cursors SET next_block = $2, last_hash = NULL \
         WHERE chain_id = $1 AND next_block > $2",
    )
    .bind(chain_id)
    .bind(from)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}
