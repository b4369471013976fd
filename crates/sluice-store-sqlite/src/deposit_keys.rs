//! Deposit keys and the deposit addresses allocated from them, on SQLite (see
//! `sluice_store::DepositKeyRecord`).

use rusqlite::{Connection, OptionalExtension, params};
use sluice_domain::deposit_key::ChainFamily;
use sluice_domain::transitions::{DepositNeed, Rejection, deposit_need, with_deposit_address};
use sluice_domain::{ChainName, EnvironmentId, Flow, Timestamp};
use sluice_store::*;
use sqlx::Row;

use crate::native::db as native_db;
use crate::{SqliteStore, db};

pub(crate) async fn set(store: &SqliteStore, key: &DepositKeyRecord) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO deposit_keys (environment_id, chain_family, xpub, fingerprint, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (environment_id, chain_family) DO UPDATE \
         SET xpub = excluded.xpub, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at",
    )
    .bind(key.environment_id.to_string())
    .bind(key.family.as_str())
    .bind(&key.xpub)
    .bind(&key.fingerprint)
    .bind(key.updated_at.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

/// `DepositStore::raise_deposit_index`. Through the sqlx writer: a CLI command, not a
/// flow write, and the allocation job reads `next_index` inside its own transaction.
pub(crate) async fn raise_index(
    store: &SqliteStore,
    env: EnvironmentId,
    family: ChainFamily,
    at_least: i64,
) -> StoreResult<Option<i64>> {
    let mut tx = store.write().await?;
    let next: Option<i64> = sqlx::query_scalar(
        "UPDATE deposit_keys SET next_index = MAX(next_index, ?1) \
         WHERE environment_id = ?2 AND chain_family = ?3 RETURNING next_index",
    )
    .bind(at_least)
    .bind(env.to_string())
    .bind(family.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(next)
}

pub(crate) async fn list(
    store: &SqliteStore,
    env: EnvironmentId,
) -> StoreResult<Vec<DepositKeyRecord>> {
    let rows = sqlx::query(
        "SELECT chain_family, xpub, fingerprint, next_index, updated_at FROM deposit_keys \
         WHERE environment_id = ?1 ORDER BY chain_family",
    )
    .bind(env.to_string())
    .fetch_all(&store.reader)
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

/// `Store::assign_deposit_address`, as a job of the writer's batch (see `batch.rs`): the
/// writer is the only code that writes flows and keys, so taking `next_index` and storing
/// the address on the flow happen in one transaction with nothing in between.
pub(crate) fn assign(
    conn: &Connection,
    current: impl FnOnce(&Connection) -> StoreResult<Option<Flow>>,
    env: EnvironmentId,
    chain: ChainName,
    now: Timestamp,
) -> StoreResult<Result<Flow, Rejection>> {
    let Some(current) = current(conn)? else {
        return Ok(Err(Rejection::NotFound));
    };
    let family = match deposit_need(&current, chain, now) {
        Ok(DepositNeed::Assigned(_)) => return Ok(Ok(current)),
        Ok(DepositNeed::Allocate(family)) => family,
        Err(rejection) => return Ok(Err(rejection)),
    };
    let env_text = env.to_string();
    let taken: Option<(i64, String)> = conn
        .prepare_cached(
            "UPDATE deposit_keys SET next_index = next_index + 1 \
             WHERE environment_id = ?1 AND chain_family = ?2 RETURNING next_index - 1, xpub",
        )
        .and_then(|mut update| {
            update
                .query_row((&env_text, family.as_str()), |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
        })
        .map_err(native_db)?;
    let Some((index, xpub)) = taken else {
        return Ok(Err(no_deposit_key(family)));
    };
    let address = derive_deposit_address(&xpub, family, index)?;
    conn.prepare_cached(
        "INSERT INTO deposit_addresses (environment_id, chain_family, derivation_index, address, flow_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            env_text,
            family.as_str(),
            index,
            address,
            current.id.to_string(),
            now.0
        ])
    })
    .map_err(native_db)?;
    let mut flow = with_deposit_address(&current, address, now).flow;
    crate::native_write::write_change(conn, &current, &flow)?;
    flow.revision = current.revision + 1;
    Ok(Ok(flow))
}

pub(crate) async fn addresses(
    store: &SqliteStore,
    env: EnvironmentId,
) -> StoreResult<Vec<DepositAddressRecord>> {
    let rows = sqlx::query(
        "SELECT chain_family, derivation_index, address, flow_id, created_at FROM deposit_addresses \
         WHERE environment_id = ?1 ORDER BY chain_family, derivation_index",
    )
    .bind(env.to_string())
    .fetch_all(&store.reader)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            let flow: String = row.try_get(3).map_err(db)?;
            Ok(DepositAddressRecord {
                family: decode_family(&row.try_get::<String, _>(0).map_err(db)?)?,
                derivation_index: row.try_get(1).map_err(db)?,
                address: row.try_get(2).map_err(db)?,
                flow_id: flow
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("flow id {flow:?}")))?,
                created_at: Timestamp(row.try_get(4).map_err(db)?),
            })
        })
        .collect()
}
