//! S4 at any size (issue 21), on both backends: every page, filtered or not and with the
//! read-time expiry rule, equals a brute-force filter of the same flows; every plan is an
//! index range (`EXPLAIN` over 50,000 flows, no scan of `flows`); the `userId` filter and the
//! `updatedSince` sync (extensions) page as documented.

mod common;

use common::{Backend, START, TestApp};
use reqwest::Method;
use serde_json::Value;
use sluice_domain::{ExecutionState as E, Flow, FlowId, FlowMode, SettlementState as S, Timestamp};
use sluice_store::FlowQuery;

/// A small deterministic generator (the same flows on every run).
struct Lcg(u64);

impl Lcg {
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        from[(self.0 >> 33) as usize % from.len()]
    }
}

/// `count` flows in every state, settlement, mode and user, some overdue at `START + 1 h`,
/// several created in the same millisecond (the cursor's tie-break on ID).
async fn varied_flows(app: &TestApp, count: usize) -> Vec<Flow> {
    let id = app.create_flow().await;
    let template = app.stored_flow(&id).await;
    let mut rng = Lcg(7);
    let mut flows = vec![template.clone()];
    for i in 0..count {
        let mut flow = template.clone();
        flow.id = FlowId::new_random();
        flow.execution_state = rng.pick(E::ALL);
        flow.settlement_state = rng.pick(&[S::None, S::Completed, S::Failed, S::Settling]);
        flow.mode = rng.pick(FlowMode::ALL);
        flow.user_id = rng
            .pick(&[None, Some("alice"), Some("bob")])
            .map(str::to_owned);
        flow.created_at = START.plus_seconds((i / 3) as i64);
        flow.updated_at = flow.created_at;
        flow.expires_at = START.plus_seconds(rng.pick(&[600, 3_000, 4_000, 7_200]));
        app.store.insert_flow(&flow, None).await.unwrap();
        flows.push(flow);
    }
    flows
}

fn matches(flow: &Flow, q: &FlowQuery, now: Timestamp) -> bool {
    let shown = flow.clone().observed(now);
    q.execution_state.is_none_or(|e| shown.execution_state == e)
        && q.settlement_state
            .is_none_or(|s| flow.settlement_state == s)
        && q.mode.is_none_or(|m| flow.mode == m)
        && q.user_id
            .as_ref()
            .is_none_or(|u| flow.user_id.as_ref() == Some(u))
}

/// Every page of `q`, through the store.
async fn all_pages(app: &TestApp, mut q: FlowQuery, now: Timestamp) -> Vec<FlowId> {
    let mut ids = Vec::new();
    loop {
        let page = app.store.list_flows(app.env_id, &q, now).await.unwrap();
        ids.extend(page.iter().map(|f| f.id));
        match page.last() {
            Some(last) if page.len() == q.limit as usize => {
                q.after = Some((last.created_at, last.id))
            }
            _ => return ids,
        }
    }
}

both_backends!(pages_equal_a_brute_force_filter);

async fn pages_equal_a_brute_force_filter(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let flows = varied_flows(&app, 240).await;
    let now = START.plus_seconds(3_600);
    let mut newest_first = flows.clone();
    newest_first.sort_by_key(|f| std::cmp::Reverse((f.created_at, f.id)));
    let states = std::iter::once(None).chain(E::ALL.iter().copied().map(Some));
    for e in states {
        for s in [None, Some(S::None), Some(S::Completed)] {
            for m in [None, Some(FlowMode::Payment), Some(FlowMode::Deposit)] {
                for user in [None, Some("alice".to_owned())] {
                    let q = FlowQuery {
                        execution_state: e,
                        settlement_state: s,
                        mode: m,
                        user_id: user,
                        after: None,
                        limit: 7,
                    };
                    let expected: Vec<FlowId> = newest_first
                        .iter()
                        .filter(|f| matches(f, &q, now))
                        .map(|f| f.id)
                        .collect();
                    let got = all_pages(&app, q.clone(), now).await;
                    assert_eq!(got, expected, "{q:?}");
                }
            }
        }
    }
}

/// The filter combinations the plan test explains.
fn explained_queries() -> Vec<FlowQuery> {
    let q = |e, s, m, user: Option<&str>| FlowQuery {
        execution_state: e,
        settlement_state: s,
        mode: m,
        user_id: user.map(str::to_owned),
        after: None,
        limit: 21,
    };
    vec![
        q(None, None, None, None),
        q(Some(E::Cancelled), None, None, None),
        q(Some(E::Quoted), None, None, None),
        q(Some(E::Expired), None, None, None),
        q(None, Some(S::Completed), None, None),
        q(None, None, Some(FlowMode::Deposit), None),
        q(
            Some(E::Failed),
            Some(S::Failed),
            Some(FlowMode::Payment),
            None,
        ),
        q(
            Some(E::Expired),
            Some(S::None),
            Some(FlowMode::Withdraw),
            None,
        ),
        q(None, None, None, Some("alice")),
        q(Some(E::Expired), None, None, Some("alice")),
    ]
}

/// 50,000 flows written straight into the table (their docs all the template's: only the
/// plans are looked at), then statistics gathered as an operator's database has them.
async fn bulk_flows(app: &TestApp, backend: Backend) {
    let id = app.create_flow().await;
    let doc = sluice_store::encode_flow_doc(&app.stored_flow(&id).await);
    let states = "CASE i % 5 WHEN 0 THEN 'source_confirmed' WHEN 1 THEN 'failed' WHEN 2 THEN 'expired' WHEN 3 THEN 'initiated' ELSE 'cancelled' END";
    let settlement = "CASE i % 5 WHEN 0 THEN 'completed' WHEN 1 THEN 'failed' ELSE 'none' END";
    let mode = "CASE i % 3 WHEN 0 THEN 'payment' WHEN 1 THEN 'deposit' ELSE 'withdraw' END";
    let (start, env) = (START.0, app.env_id.to_string());
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
            let sql = format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) \
                 INSERT INTO flows (id, environment_id, mode, execution_state, settlement_state, risk_state, \
                 session_token_hash, expires_at, created_at, updated_at, revision, doc) \
                 SELECT printf('%08x-0000-4000-8000-%012x', i, i), ?1, {mode}, {states}, {settlement}, 'cleared', \
                 NULL, ?2 + i * 1000 + 3600000, ?2 + i * 1000, ?2 + i * 1000, 1, ?3 FROM n"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&env)
                .bind(start)
                .bind(&doc)
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("ANALYZE").execute(&pool).await.unwrap();
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
            let sql = format!(
                "INSERT INTO flows (id, environment_id, mode, execution_state, settlement_state, risk_state, \
                 session_token_hash, expires_at, created_at, updated_at, revision, doc) \
                 SELECT md5(i::text)::uuid, $1::uuid, {mode}, {states}, {settlement}, 'cleared', \
                 NULL, $2 + i * 1000 + 3600000, $2 + i * 1000, $2 + i * 1000, 1, $3 FROM generate_series(1, 50000) AS i"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&env)
                .bind(start)
                .bind(&doc)
                .execute(&pool)
                .await
                .unwrap();
            // Vacuumed, as autovacuum leaves a table: the planner then trusts index-only
            // scans and its row estimates more, which once turned the overdue lookup into a
            // scan of the table.
            sqlx::query("VACUUM ANALYZE flows")
                .execute(&pool)
                .await
                .unwrap();
        }
    }
}

both_backends!(every_list_plan_is_an_index_range);

async fn every_list_plan_is_an_index_range(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    bulk_flows(&app, backend).await;
    let now = START.plus_seconds(7_200);
    let env = app.env_id;
    for q in explained_queries() {
        for cursor in [None, Some((START.plus_seconds(30_000), FlowId::default()))] {
            let q = FlowQuery {
                after: cursor,
                ..q.clone()
            };
            let plan = sluice_store::list_plan::plan(&q);
            let plan_lines = match backend {
                Backend::Sqlite => {
                    let (sql, params) =
                        plan.sql(&sluice_store_sqlite::LIST_DIALECT, "id", cursor.is_some());
                    let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
                    let mut explain =
                        sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
                    for p in params {
                        explain = bind_sqlite(explain, p, &q, env, now);
                    }
                    let rows = explain.fetch_all(&pool).await.unwrap();
                    rows.iter()
                        .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
                        .collect::<Vec<_>>()
                }
                Backend::Postgres => {
                    let (sql, params) =
                        plan.sql(&sluice_store_postgres::LIST_DIALECT, "id", cursor.is_some());
                    let mut conn = generic_plans(&app).await;
                    let args: Vec<String> =
                        params.iter().map(|p| literal(*p, &q, env, now)).collect();
                    let execute = prepare(&mut conn, &sql, &args).await;
                    let rows = sqlx::query(sqlx::AssertSqlSafe(execute))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                    rows.iter()
                        .map(|r| sqlx::Row::get::<String, _>(r, 0))
                        .collect::<Vec<_>>()
                }
            };
            let text = plan_lines.join("\n");
            if backend == Backend::Postgres && plan.reads_overdue() {
                // The overdue flows' IDs are read first, through flows_expiring in its order.
                let mut conn = generic_plans(&app).await;
                let sql = sluice_store_postgres::overdue_ids_sql();
                let args = [now.0.to_string(), i64::MIN.to_string(), nil_uuid()];
                let execute = prepare(&mut conn, &sql, &args).await;
                let rows = sqlx::query(sqlx::AssertSqlSafe(execute))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                let lines: Vec<String> = rows
                    .iter()
                    .map(|r| sqlx::Row::get::<String, _>(r, 0))
                    .collect();
                let overdue = lines.join("\n");
                assert!(
                    overdue.contains("flows_expiring") && !overdue.contains("Seq Scan"),
                    "{overdue}"
                );
            }
            if std::env::var("SHOW_PLANS").is_ok() {
                eprintln!("{q:?}\n{text}\n");
            }
            let scans = plan_lines.iter().filter(|l| {
                (l.contains("SCAN flows")
                    && !l.contains("USING INDEX flows_expiring")
                    && !l.contains("SEARCH"))
                    || l.contains("Seq Scan")
            });
            assert_eq!(scans.count(), 0, "{q:?}:\n{text}");
            for range in &plan.ranges {
                assert!(
                    text.contains(range.index.name()) || text.contains("flows_pkey"),
                    "{q:?}: {:?} unused:\n{text}",
                    range.index
                );
            }
        }
    }
}

fn bind_sqlite<'q>(
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    p: sluice_store::Param,
    q: &FlowQuery,
    env: sluice_domain::EnvironmentId,
    now: Timestamp,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    use sluice_store::Param;
    match p {
        Param::Env => query.bind(env.to_string()),
        Param::Now => query.bind(now.0),
        Param::CursorCreatedAt => query.bind(q.after.map(|(t, _)| t.0)),
        Param::CursorId => query.bind(q.after.map(|(_, id)| id.to_string())),
        Param::User => query.bind(q.user_id.clone()),
        Param::OverdueIds => unreachable!("SQLite reads the overdue flows in the query"),
    }
}

/// A connection with the session Sluice's own connections open, so that a prepared
/// statement gets the generic plan Sluice runs (`plan_cache_mode = force_generic_plan`).
async fn generic_plans(app: &TestApp) -> sqlx::PgConnection {
    use sqlx::ConnectOptions;
    let options = sluice_store_postgres::connect_options(&app.db.url).unwrap();
    let mut conn = options.connect().await.unwrap();
    let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "force_generic_plan");
    conn
}

/// Prepares `sql` as `probe` on `conn` (a new connection) and returns the `EXPLAIN EXECUTE`
/// of it with `args` (SQL literals) that shows its cached, generic plan. An `EXPLAIN` of the
/// query itself would be planned with its values (a custom plan), which is not what Sluice
/// runs.
async fn prepare(conn: &mut sqlx::PgConnection, sql: &str, args: &[String]) -> String {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("PREPARE probe AS {sql}")))
        .execute(&mut *conn)
        .await
        .unwrap();
    format!("EXPLAIN EXECUTE probe({})", args.join(", "))
}

fn nil_uuid() -> String {
    format!("'{}'::uuid", uuid::Uuid::nil())
}

/// A parameter as the SQL literal `EXECUTE` takes (the values are the test's own).
fn literal(
    p: sluice_store::Param,
    q: &FlowQuery,
    env: sluice_domain::EnvironmentId,
    now: Timestamp,
) -> String {
    use sluice_store::Param;
    match p {
        Param::Env => format!("'{}'::uuid", env.as_uuid()),
        Param::Now => now.0.to_string(),
        Param::CursorCreatedAt => q.after.map_or("NULL".into(), |(t, _)| t.0.to_string()),
        Param::CursorId => q
            .after
            .map_or("NULL".into(), |(_, id)| format!("'{}'::uuid", id.as_uuid())),
        Param::User => q
            .user_id
            .as_ref()
            .map_or("NULL".into(), |u| format!("'{}'", u.replace('\'', "''"))),
        Param::OverdueIds => "'{}'::uuid[]".into(),
    }
}

both_backends!(a_user_and_an_updated_since_sync_page_as_documented);

/// `userId` filters S4; `updatedSince` pages in change order, leaves changes younger than 5 s
/// for later, resumes from `nextCursor` (never null), shows a flow changed again once more,
/// and refuses to be combined with the filters.
async fn a_user_and_an_updated_since_sync_page_as_documented(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let flows = varied_flows(&app, 12).await;
    let path = |query: &str| format!("/flows?{query}");
    let list = |query: String| {
        let app = &app;
        async move {
            let reply = app.server(Method::GET, &path(&query), None).await;
            assert_eq!(reply.status, 200, "{query}: {}", reply.body);
            reply.body
        }
    };
    let ids = |page: &Value| -> Vec<String> {
        page["flows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let alice: Vec<String> = {
        let mut mine: Vec<&Flow> = flows
            .iter()
            .filter(|f| f.user_id.as_deref() == Some("alice"))
            .collect();
        mine.sort_by_key(|f| std::cmp::Reverse((f.created_at, f.id)));
        mine.iter().map(|f| f.id.to_string()).collect()
    };
    assert!(!alice.is_empty());
    assert_eq!(ids(&list("userId=alice&limit=100".into()).await), alice);
    // The sync: all changed since START, in (updatedAt, id) order, once 5 s have passed.
    app.clock.advance_seconds(10);
    let since = "updatedSince=2026-11-23T10:00:00Z";
    let mut expected: Vec<&Flow> = flows.iter().collect();
    expected.sort_by_key(|f| (f.updated_at, f.id));
    let first = list(format!("{since}&limit=5")).await;
    let all: Vec<String> = expected.iter().map(|f| f.id.to_string()).collect();
    assert_eq!(ids(&first), all[..5]);
    let mut seen = ids(&first);
    let mut cursor = first["nextCursor"].as_str().unwrap().to_owned();
    loop {
        let page = list(format!("{since}&limit=5&cursor={cursor}")).await;
        cursor = page["nextCursor"].as_str().expect("never null").to_owned();
        if ids(&page).is_empty() {
            break;
        }
        seen.extend(ids(&page));
    }
    assert_eq!(seen, all, "every change once, in order");
    // A flow changed now appears after the cursor, but only once it is 5 s old.
    let token = app.attach_wallet(&flows[0].id.to_string()).await;
    assert!(!token.is_empty());
    assert!(
        ids(&list(format!("{since}&cursor={cursor}")).await).is_empty(),
        "too young"
    );
    app.clock.advance_seconds(6);
    assert_eq!(
        ids(&list(format!("{since}&cursor={cursor}")).await),
        [flows[0].id.to_string()]
    );
    for other in ["executionState=failed", "userId=alice", "mode=payment"] {
        let reply = app
            .server(Method::GET, &path(&format!("{since}&{other}")), None)
            .await;
        reply.assert_error(400, "invalid_request");
    }
    let reply = app
        .server(Method::GET, &path("updatedSince=yesterday"), None)
        .await;
    reply.assert_error(400, "invalid_request");
}
