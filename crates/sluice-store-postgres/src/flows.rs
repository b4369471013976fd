//! Flow rows on PostgreSQL: batched loads (see `reads.rs`), list, insert, and the statements of a transition batch
//! (see `batch.rs`).

use sluice_domain::{EnvironmentId, Flow, FlowEvent, FlowId, Timestamp};
use sluice_store::*;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, Row, Transaction};

use crate::{PostgresStore, db, idempotency};

const COLUMNS: &str = "environment_id, execution_state, settlement_state, risk_state, session_token_hash, expires_at, updated_at, revision, doc";

fn flow_from_row(row: &PgRow) -> StoreResult<Flow> {
    let cols = FlowColumns {
        environment_id: EnvironmentId::from_uuid(row.try_get("environment_id").map_err(db)?),
        execution_state: row.try_get("execution_state").map_err(db)?,
        settlement_state: row.try_get("settlement_state").map_err(db)?,
        risk_state: row.try_get("risk_state").map_err(db)?,
        session_token_hash: row.try_get("session_token_hash").map_err(db)?,
        expires_at: row.try_get("expires_at").map_err(db)?,
        updated_at: row.try_get("updated_at").map_err(db)?,
        revision: row.try_get("revision").map_err(db)?,
    };
    decode_flow(row.try_get("doc").map_err(db)?, cols)
}

pub(crate) async fn insert_flow(
    store: &PostgresStore,
    flow: &Flow,
    answer: Option<&IdempotentAnswer>,
) -> StoreResult<()> {
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO flows (id, environment_id, mode, execution_state, settlement_state, risk_state, session_token_hash, \
         expires_at, created_at, updated_at, revision, doc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11)",
    )
    .bind(flow.id.as_uuid())
    .bind(flow.environment_id.as_uuid())
    .bind(flow.mode.as_str())
    .bind(flow.execution_state.as_str())
    .bind(flow.settlement_state.as_str())
    .bind(flow.risk_state.as_str())
    .bind(flow.session_token_hash.map(|h| h.0.to_vec()))
    .bind(flow.expires_at.0)
    .bind(flow.created_at.0)
    .bind(flow.updated_at.0)
    .bind(encode_flow_doc(flow))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if let Some(answer) = answer {
        idempotency::complete(&mut tx, answer).await?;
    }
    tx.commit().await.map_err(db)
}

/// PostgreSQL's spelling of S4's plan (see sluice-store's `list_plan.rs`).
pub const DIALECT: Dialect = Dialect {
    placeholder: |n| format!("${n}"),
    indexed_by: false,
    user_expr: "(doc::json ->> 'userId')",
    overdue_ids: true,
    arm: |range| format!("({range})"),
};

pub(crate) async fn list(
    pool: &PgPool,
    env: EnvironmentId,
    q: &FlowQuery,
    now: Timestamp,
) -> StoreResult<Vec<Flow>> {
    let plan = sluice_store::list_plan::plan(q);
    let overdue = if plan.reads_overdue() {
        overdue_ids(pool, env, now).await?
    } else {
        Vec::new()
    };
    let (sql, params) = plan.sql(&DIALECT, COLUMNS, q.after.is_some());
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for param in params {
        query = match param {
            Param::Env => query.bind(env.as_uuid()),
            Param::Now => query.bind(now.0),
            Param::CursorCreatedAt => query.bind(q.after.map(|(t, _)| t.0)),
            Param::CursorId => query.bind(q.after.map(|(_, id)| id.as_uuid())),
            Param::User => query.bind(q.user_id.clone()),
            Param::OverdueIds => query.bind(overdue.clone()),
        };
    }
    let rows = query.fetch_all(pool).await.map_err(db)?;
    rows.iter().map(flow_from_row).collect()
}

/// One page (`OVERDUE_PAGE` rows) of the overdue flows in `expires_at` order: `$1` now, after
/// (`$2`, `$3`).
pub fn overdue_ids_sql() -> String {
    format!(
        "SELECT expires_at, id, environment_id FROM flows WHERE execution_state IN ({}) \
         AND expires_at <= $1 AND (expires_at, id) > ($2, $3) ORDER BY expires_at, id \
         LIMIT {OVERDUE_PAGE}",
        sluice_store::list_sql_states()
    )
}

/// Overdue IDs read per query; written into the SQL for a generic plan (see `list_sql.rs`).
const OVERDUE_PAGE: i64 = 1000;

/// The environment's overdue flows (an expiring state, `expires_at` passed), in pages of the
/// partial index `flows_expiring` read in its own order, so that the planner has no other
/// way (see `Dialect::overdue_ids`). Few: the expiry sweeper keeps up.
async fn overdue_ids(
    pool: &PgPool,
    env: EnvironmentId,
    now: Timestamp,
) -> StoreResult<Vec<uuid::Uuid>> {
    let sql = overdue_ids_sql();
    let (mut ids, mut after) = (Vec::new(), (i64::MIN, uuid::Uuid::nil()));
    loop {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(now.0)
            .bind(after.0)
            .bind(after.1)
            .fetch_all(pool)
            .await
            .map_err(db)?;
        for row in &rows {
            let (at, id, owner): (i64, uuid::Uuid, uuid::Uuid) = (
                row.try_get(0).map_err(db)?,
                row.try_get(1).map_err(db)?,
                row.try_get(2).map_err(db)?,
            );
            after = (at, id);
            if owner == env.as_uuid() {
                ids.push(id);
            }
        }
        if (rows.len() as i64) < OVERDUE_PAGE {
            return Ok(ids);
        }
    }
}

/// One page of the incremental sync, oldest change first.
pub(crate) async fn updated(
    pool: &PgPool,
    env: EnvironmentId,
    q: &UpdatedQuery,
) -> StoreResult<Vec<Flow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM flows WHERE environment_id = $1 \
         AND (updated_at, id) > ($2, $3) AND updated_at < $4 ORDER BY updated_at, id LIMIT $5"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(env.as_uuid())
        .bind(q.after.0.0)
        .bind(q.after.1.as_uuid())
        .bind(q.before.0)
        .bind(i64::from(q.limit))
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter().map(flow_from_row).collect()
}

pub(crate) async fn waiting(pool: &PgPool, since: Timestamp) -> StoreResult<Vec<Flow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM flows WHERE execution_state IN ('broadcasted', 'source_detected') \
         AND updated_at >= $1 ORDER BY updated_at, id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(since.0)
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter().map(flow_from_row).collect()
}

pub(crate) async fn expired_deposit(
    pool: &PgPool,
    now: Timestamp,
    limit: u32,
) -> StoreResult<Vec<Flow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM flows WHERE execution_state IN ('broadcasted', 'source_detected') \
         AND expires_at <= $1 AND EXISTS (SELECT 1 FROM deposit_addresses d WHERE d.flow_id = flows.id) \
         ORDER BY expires_at LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now.0)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter().map(flow_from_row).collect()
}

pub(crate) async fn overdue(
    pool: &PgPool,
    now: Timestamp,
    limit: u32,
) -> StoreResult<Vec<(EnvironmentId, FlowId)>> {
    let rows = sqlx::query(
        "SELECT environment_id, id FROM flows WHERE execution_state IN ('initiated', 'source_attached', 'quoted', 'signing') \
         AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
    )
    .bind(now.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            Ok((
                EnvironmentId::from_uuid(row.try_get("environment_id").map_err(db)?),
                FlowId::from_uuid(row.try_get("id").map_err(db)?),
            ))
        })
        .collect()
}

pub(crate) async fn events(pool: &PgPool, id: FlowId) -> StoreResult<Vec<StoredEvent>> {
    let rows = sqlx::query("SELECT id, event_type, payload, created_at FROM flow_events WHERE flow_id = $1 ORDER BY seq")
        .bind(id.as_uuid())
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|row| {
            let payload: String = row.try_get("payload").map_err(db)?;
            Ok(StoredEvent {
                id: row.try_get::<uuid::Uuid, _>("id").map_err(db)?.to_string(),
                event_type: row.try_get("event_type").map_err(db)?,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))?,
                created_at: Timestamp(row.try_get("created_at").map_err(db)?),
            })
        })
        .collect()
}

/// Locks the flows with these IDs (sorted, so that concurrent batches lock in one order and
/// cannot deadlock) and returns those that exist.
pub(crate) async fn lock_flows(
    tx: &mut Transaction<'static, Postgres>,
    ids: &[FlowId],
) -> StoreResult<Vec<Flow>> {
    let ids: Vec<uuid::Uuid> = ids.iter().map(FlowId::as_uuid).collect();
    let rows = sqlx::query(
        "SELECT id, environment_id, execution_state, settlement_state, risk_state, session_token_hash, \
         expires_at, updated_at, revision, doc FROM flows WHERE id = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind(&ids)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    rows.iter().map(flow_from_row).collect()
}

/// Writes a batch in one statement: each changed flow (guarded by the revision that was
/// locked), the events in order, and one delivery per event per live endpoint that wants it.
/// A flow row that did not match its guard fails the whole batch.
pub(crate) async fn write_batch(
    tx: &mut Transaction<'static, Postgres>,
    changed: &[(&Flow, i64)],
    events: &[FlowEvent],
) -> StoreResult<()> {
    if changed.is_empty() {
        return Ok(());
    }
    let flows = FlowColumnsOf::new(changed);
    let events = EventColumns::new(events);
    let updated: i64 = sqlx::query_scalar(WRITE_BATCH)
        .bind(&flows.ids)
        .bind(&flows.execution)
        .bind(&flows.settlement)
        .bind(&flows.risk)
        .bind(&flows.token_hashes)
        .bind(&flows.expires)
        .bind(&flows.updated)
        .bind(&flows.locked)
        .bind(&flows.revisions)
        .bind(&flows.docs)
        .bind(&events.ids)
        .bind(&events.envs)
        .bind(&events.flows)
        .bind(&events.types)
        .bind(&events.payloads)
        .bind(&events.created)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    if updated == changed.len() as i64 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "a flow in the batch changed concurrently".into(),
        ))
    }
}

/// Data-modifying CTEs all run, once, whether or not the final SELECT reads them. Deliveries
/// get `gen_random_uuid()` IDs (PostgreSQL 13+) and are due at once; `event_types` NULL means
/// every type, as `WebhookEndpoint::wants` says.
const WRITE_BATCH: &str = "\
WITH u AS (
    UPDATE flows AS f SET execution_state = b.execution_state, settlement_state = b.settlement_state,
        risk_state = b.risk_state, session_token_hash = b.session_token_hash, expires_at = b.expires_at,
        updated_at = b.updated_at, revision = b.revision, doc = b.doc
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::bigint[], $7::bigint[],
                $8::bigint[], $9::bigint[], $10::text[])
        AS b(id, execution_state, settlement_state, risk_state, session_token_hash, expires_at, updated_at,
             locked_revision, revision, doc)
    WHERE f.id = b.id AND f.revision = b.locked_revision
    RETURNING f.id
), e AS (
    INSERT INTO flow_events (id, environment_id, flow_id, event_type, payload, created_at)
    SELECT id, environment_id, flow_id, event_type, payload, created_at
    FROM unnest($11::uuid[], $12::uuid[], $13::uuid[], $14::text[], $15::text[], $16::bigint[]) WITH ORDINALITY
        AS x(id, environment_id, flow_id, event_type, payload, created_at, n)
    ORDER BY n
    RETURNING id, environment_id, event_type, payload, created_at, seq
), d AS (
    INSERT INTO webhook_deliveries (id, environment_id, endpoint_id, event_id, event_type, payload, status,
        attempts, next_attempt_at, created_at)
    SELECT gen_random_uuid()::text, e.environment_id, w.id, e.id::text, e.event_type, e.payload, 'pending',
        0, e.created_at, e.created_at
    FROM e JOIN webhook_endpoints AS w ON w.environment_id = e.environment_id AND w.enabled
        AND (w.event_types IS NULL OR w.event_types::jsonb ? e.event_type)
    ORDER BY e.seq, w.created_at, w.id
    RETURNING 1
)
SELECT count(*) FROM u";

/// The changed flows as one array per column, for `unnest`.
struct FlowColumnsOf {
    ids: Vec<uuid::Uuid>,
    execution: Vec<&'static str>,
    settlement: Vec<&'static str>,
    risk: Vec<&'static str>,
    token_hashes: Vec<Option<Vec<u8>>>,
    expires: Vec<i64>,
    updated: Vec<i64>,
    locked: Vec<i64>,
    revisions: Vec<i64>,
    docs: Vec<String>,
}

impl FlowColumnsOf {
    fn new(changed: &[(&Flow, i64)]) -> Self {
        Self {
            ids: changed.iter().map(|(f, _)| f.id.as_uuid()).collect(),
            execution: changed
                .iter()
                .map(|(f, _)| f.execution_state.as_str())
                .collect(),
            settlement: changed
                .iter()
                .map(|(f, _)| f.settlement_state.as_str())
                .collect(),
            risk: changed.iter().map(|(f, _)| f.risk_state.as_str()).collect(),
            token_hashes: changed
                .iter()
                .map(|(f, _)| f.session_token_hash.map(|h| h.0.to_vec()))
                .collect(),
            expires: changed.iter().map(|(f, _)| f.expires_at.0).collect(),
            updated: changed.iter().map(|(f, _)| f.updated_at.0).collect(),
            locked: changed.iter().map(|(_, locked)| *locked).collect(),
            revisions: changed.iter().map(|(f, _)| f.revision).collect(),
            docs: changed.iter().map(|(f, _)| encode_flow_doc(f)).collect(),
        }
    }
}

/// The batch's events as one array per column.
struct EventColumns {
    ids: Vec<uuid::Uuid>,
    envs: Vec<uuid::Uuid>,
    flows: Vec<uuid::Uuid>,
    types: Vec<&'static str>,
    payloads: Vec<String>,
    created: Vec<i64>,
}

impl EventColumns {
    fn new(events: &[FlowEvent]) -> Self {
        Self {
            ids: events.iter().map(|e| e.id).collect(),
            envs: events.iter().map(|e| e.environment_id.as_uuid()).collect(),
            flows: events.iter().map(|e| e.flow_id.as_uuid()).collect(),
            types: events.iter().map(|e| e.event_type).collect(),
            payloads: events.iter().map(|e| e.payload.to_string()).collect(),
            created: events.iter().map(|e| e.created_at.0).collect(),
        }
    }
}

/// The flows with these IDs that exist, whatever their environment (the caller filters).
pub(crate) async fn load_many(pool: &PgPool, ids: &[FlowId]) -> StoreResult<Vec<Flow>> {
    let ids: Vec<uuid::Uuid> = ids.iter().map(FlowId::as_uuid).collect();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM flows WHERE id = ANY($1)"
    )))
    .bind(&ids)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter().map(flow_from_row).collect()
}
