//! Webhook endpoints and deliveries on PostgreSQL. Claims lock candidate rows with
//! `FOR UPDATE SKIP LOCKED`, so instances sharing the database never lease the same delivery,
//! and lock each endpoint they lease for, so that the per-endpoint cap holds across instances.

use sluice_domain::{EnvironmentId, Timestamp};
use sluice_store::*;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, Row, Transaction};

use crate::{PostgresStore, db};

const DELIVERY_COLUMNS: &str = "id, environment_id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at";

fn endpoint_from_row(row: &PgRow) -> StoreResult<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: row.try_get("id").map_err(db)?,
        environment_id: EnvironmentId::from_uuid(row.try_get("environment_id").map_err(db)?),
        url: row.try_get("url").map_err(db)?,
        event_types: decode_event_types(
            row.try_get::<Option<String>, _>("event_types")
                .map_err(db)?
                .as_deref(),
        )?,
        enabled: row.try_get("enabled").map_err(db)?,
        secret_version: row.try_get("secret_version").map_err(db)?,
        created_at: Timestamp(row.try_get("created_at").map_err(db)?),
        updated_at: Timestamp(row.try_get("updated_at").map_err(db)?),
    })
}

fn delivery_from_row(row: &PgRow) -> StoreResult<Delivery> {
    let status: String = row.try_get("status").map_err(db)?;
    Ok(Delivery {
        id: row.try_get("id").map_err(db)?,
        environment_id: EnvironmentId::from_uuid(row.try_get("environment_id").map_err(db)?),
        endpoint_id: row.try_get("endpoint_id").map_err(db)?,
        event_id: row.try_get("event_id").map_err(db)?,
        event_type: row.try_get("event_type").map_err(db)?,
        payload: row.try_get("payload").map_err(db)?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery status {status:?}")))?,
        attempts: row.try_get("attempts").map_err(db)?,
        next_attempt_at: row
            .try_get::<Option<i64>, _>("next_attempt_at")
            .map_err(db)?
            .map(Timestamp),
        created_at: Timestamp(row.try_get("created_at").map_err(db)?),
    })
}

/// The environment's live endpoints, read inside a transaction for fan-out.
pub(crate) async fn insert_delivery(conn: &mut PgConnection, d: &Delivery) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, environment_id, endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&d.id)
    .bind(d.environment_id.as_uuid())
    .bind(&d.endpoint_id)
    .bind(&d.event_id)
    .bind(&d.event_type)
    .bind(&d.payload)
    .bind(d.status.as_str())
    .bind(d.attempts)
    .bind(d.next_attempt_at.map(|t| t.0))
    .bind(d.created_at.0)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

async fn insert_endpoint(
    tx: &mut Transaction<'static, Postgres>,
    e: &WebhookEndpoint,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, environment_id, url, event_types, enabled, secret_version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&e.id)
    .bind(e.environment_id.as_uuid())
    .bind(&e.url)
    .bind(encode_event_types(e.event_types.as_deref()))
    .bind(e.enabled)
    .bind(e.secret_version)
    .bind(e.created_at.0)
    .bind(e.updated_at.0)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn create_endpoint(
    store: &PostgresStore,
    e: &WebhookEndpoint,
    ping: &Delivery,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    insert_endpoint(&mut tx, e).await?;
    insert_delivery(&mut tx, ping).await?;
    tx.commit().await.map_err(db)
}

pub(crate) async fn update_endpoint(store: &PostgresStore, e: &WebhookEndpoint) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query("UPDATE webhook_endpoints SET url = $3, event_types = $4, enabled = $5, secret_version = $6, updated_at = $7 WHERE id = $1 AND environment_id = $2")
        .bind(&e.id)
        .bind(e.environment_id.as_uuid())
        .bind(&e.url)
        .bind(encode_event_types(e.event_types.as_deref()))
        .bind(e.enabled)
        .bind(e.secret_version)
        .bind(e.updated_at.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(crate) async fn endpoints(
    store: &PostgresStore,
    env: EnvironmentId,
    id: Option<&str>,
) -> StoreResult<Vec<WebhookEndpoint>> {
    let rows = sqlx::query("SELECT * FROM webhook_endpoints WHERE environment_id = $1 AND ($2::text IS NULL OR id = $2) ORDER BY created_at, id")
        .bind(env.as_uuid())
        .bind(id)
        .fetch_all(&store.pool)
        .await
        .map_err(db)?;
    rows.iter().map(endpoint_from_row).collect()
}

pub(crate) async fn delete_endpoint(
    store: &PostgresStore,
    env: EnvironmentId,
    id: &str,
) -> StoreResult<bool> {
    let mut tx = store.write().await?;
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND environment_id = $2")
        .bind(id)
        .bind(env.as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(done.rows_affected() == 1)
}

/// Due, unleased, pending deliveries `d` (`$1` is now).
const DUE: &str = "d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until <= $1)";
/// Live leases of the endpoint `$id` refers to (`$1` is now).
const LEASED: &str = "SELECT count(*) FROM webhook_deliveries l WHERE l.endpoint_id = {id} AND l.status = 'pending' AND l.locked_until > $1";

/// Two statements in one transaction. The first locks the endpoints that have due work and
/// room (`FOR NO KEY UPDATE`, which does not block the foreign-key checks of new deliveries;
/// `SKIP LOCKED`, so a concurrent claimer takes other endpoints instead of waiting). The
/// second, under those locks, counts each endpoint's live leases afresh (a new statement sees
/// every claim committed before the lock was granted, which one statement's snapshot would
/// not) and leases at most the room left, oldest due first.
pub(crate) async fn claim(
    store: &PostgresStore,
    now: Timestamp,
    lease_until: Timestamp,
    limits: ClaimLimits,
) -> StoreResult<Vec<Delivery>> {
    let mut tx = store.write().await?;
    // "Has due work" as the oldest due delivery, not `EXISTS`: the ordered form makes the
    // planner walk the per-endpoint due index instead of every delivery the endpoint ever had
    // (measured: 0.6 ms instead of 89 ms with 250,000 rows over 200 endpoints).
    let lock = format!(
        "SELECT e.id FROM webhook_endpoints e \
         WHERE (SELECT d.next_attempt_at FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND {DUE} \
           ORDER BY d.next_attempt_at LIMIT 1) IS NOT NULL \
         AND ({}) < $2 FOR NO KEY UPDATE OF e SKIP LOCKED",
        LEASED.replace("{id}", "e.id")
    );
    let endpoints: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(lock))
        .bind(now.0)
        .bind(i64::from(limits.per_endpoint))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    if endpoints.is_empty() {
        tx.commit().await.map_err(db)?;
        return Ok(Vec::new());
    }
    let sql = format!(
        "WITH picked AS (SELECT c.id FROM unnest($4::text[]) AS ep(id) CROSS JOIN LATERAL (\
           SELECT d.id, d.next_attempt_at FROM webhook_deliveries d WHERE d.endpoint_id = ep.id AND {DUE} \
           ORDER BY d.next_attempt_at, d.id LIMIT GREATEST(0, $5 - ({})) FOR UPDATE SKIP LOCKED) c \
         ORDER BY c.next_attempt_at, c.id LIMIT $3) \
         UPDATE webhook_deliveries SET locked_until = $2 WHERE id IN (SELECT id FROM picked) \
         RETURNING {DELIVERY_COLUMNS}",
        LEASED.replace("{id}", "ep.id")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now.0)
        .bind(lease_until.0)
        .bind(i64::from(limits.total))
        .bind(&endpoints)
        .bind(i64::from(limits.per_endpoint))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    rows.iter().map(delivery_from_row).collect()
}

pub(crate) async fn record_attempt(
    store: &PostgresStore,
    id: &str,
    a: &Attempt,
    o: &AttemptOutcome,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query("INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, duration_ms, error) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(a.attempted_at.0)
        .bind(a.status_code)
        .bind(a.duration_ms)
        .bind(&a.error)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query("UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, next_attempt_at = $3, locked_until = NULL WHERE id = $1")
        .bind(id)
        .bind(o.status.as_str())
        .bind(o.next_attempt_at.map(|t| t.0))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
}

pub(crate) async fn deliveries(
    store: &PostgresStore,
    env: EnvironmentId,
    endpoint: &str,
    limit: u32,
) -> StoreResult<Vec<(Delivery, Vec<Attempt>)>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE environment_id = $1 AND endpoint_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(env.as_uuid())
        .bind(endpoint)
        .bind(i64::from(limit))
        .fetch_all(&store.pool)
        .await
        .map_err(db)?;
    let mut out = Vec::new();
    for row in &rows {
        let delivery = delivery_from_row(row)?;
        let attempts = sqlx::query("SELECT attempted_at, status_code, duration_ms, error FROM webhook_attempts WHERE delivery_id = $1 ORDER BY seq")
            .bind(&delivery.id)
            .fetch_all(&store.pool)
            .await
            .map_err(db)?;
        let attempts = attempts
            .iter()
            .map(|r| {
                Ok(Attempt {
                    attempted_at: Timestamp(r.try_get("attempted_at").map_err(db)?),
                    status_code: r.try_get("status_code").map_err(db)?,
                    duration_ms: r.try_get("duration_ms").map_err(db)?,
                    error: r.try_get("error").map_err(db)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        out.push((delivery, attempts));
    }
    Ok(out)
}

pub(crate) async fn redeliver(
    store: &PostgresStore,
    env: EnvironmentId,
    id: &str,
    now: Timestamp,
) -> StoreResult<Option<Delivery>> {
    let mut tx = store.write().await?;
    let sql = format!(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, locked_until = NULL \
         WHERE id = $1 AND environment_id = $2 RETURNING {DELIVERY_COLUMNS}"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(env.as_uuid())
        .bind(now.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    row.as_ref().map(delivery_from_row).transpose()
}
