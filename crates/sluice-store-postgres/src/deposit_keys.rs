//! Deposit keys and the deposit addresses allocated from them, on PostgreSQL (see
//! `sluice_store::DepositKeyRecord`).

use sluice_domain::deposit_key::ChainFamily;
use sluice_domain::transitions::{DepositNeed, Rejection, deposit_need, with_deposit_address};
use sluice_domain::{ChainName, EnvironmentId, Flow, FlowId, Timestamp};
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

/// `DepositStore::raise_deposit_index`: one guarded statement, so a concurrent allocation
/// on another instance either runs before it (and is kept if higher) or after it.
pub(crate) async fn raise_index(
    store: &PostgresStore,
    env: EnvironmentId,
    family: ChainFamily,
    at_least: i64,
) -> StoreResult<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE deposit_keys SET next_index = GREATEST(next_index, $1) \
         WHERE environment_id = $2 AND chain_family = $3 RETURNING next_index",
    )
    .bind(at_least)
    .bind(env.as_uuid())
    .bind(family.as_str())
    .fetch_optional(&store.pool)
    .await
    .map_err(db)
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

/// `Store::assign_deposit_address`: the flow row is locked first, then the key row; the key
/// row's lock is what makes two instances take consecutive indexes, never the same one.
pub(crate) async fn assign(
    store: &PostgresStore,
    env: EnvironmentId,
    id: FlowId,
    chain: ChainName,
    now: Timestamp,
) -> StoreResult<Result<Flow, Rejection>> {
    let mut tx = store.write().await?;
    let current = crate::flows::lock_flows(&mut tx, &[id])
        .await?
        .into_iter()
        .find(|f| f.environment_id == env);
    let Some(current) = current else {
        return Ok(Err(Rejection::NotFound));
    };
    let family = match deposit_need(&current, chain, now) {
        Ok(DepositNeed::Assigned(_)) => return Ok(Ok(current)),
        Ok(DepositNeed::Allocate(family)) => family,
        Err(rejection) => return Ok(Err(rejection)),
    };
    let taken: Option<(i64, String)> = sqlx::query_as(
        "UPDATE deposit_keys SET next_index = next_index + 1 \
         WHERE environment_id = $1 AND chain_family = $2 RETURNING next_index - 1, xpub",
    )
    .bind(env.as_uuid())
    .bind(family.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some((index, xpub)) = taken else {
        return Ok(Err(no_deposit_key(family)));
    };
    let address = derive_deposit_address(&xpub, family, index)?;
    sqlx::query(
        "INSERT INTO deposit_addresses (environment_id, chain_family, derivation_index, address, flow_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(env.as_uuid())
    .bind(family.as_str())
    .bind(index)
    .bind(&address)
    .bind(id.as_uuid())
    .bind(now.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let mut flow = with_deposit_address(&current, address, now).flow;
    flow.revision = current.revision + 1;
    crate::flows::write_batch(&mut tx, &[(&flow, current.revision)], &[]).await?;
    tx.commit().await.map_err(db)?;
    Ok(Ok(flow))
}

pub(crate) async fn addresses(
    store: &PostgresStore,
    env: EnvironmentId,
) -> StoreResult<Vec<DepositAddressRecord>> {
    let rows = sqlx::query(
        "SELECT chain_family, derivation_index, address, flow_id, created_at FROM deposit_addresses \
         WHERE environment_id = $1 ORDER BY chain_family, derivation_index",
    )
    .bind(env.as_uuid())
    .fetch_all(&store.pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            Ok(DepositAddressRecord {
                family: decode_family(&row.try_get::<String, _>(0).map_err(db)?)?,
                derivation_index: row.try_get(1).map_err(db)?,
                address: row.try_get(2).map_err(db)?,
                flow_id: FlowId::from_uuid(row.try_get(3).map_err(db)?),
                created_at: Timestamp(row.try_get(4).map_err(db)?),
            })
        })
        .collect()
}
