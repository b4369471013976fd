//! Group commit: concurrent flow writes share transactions, yet each caller gets its own
//! answer, and one job's database error (here a duplicate flow ID) undoes nothing else.

use serde_json::json;
use sluice_domain::create::parse_create;
use sluice_domain::{EnvironmentId, Flow, FlowMode, Timestamp};
use sluice_store::{ApiTokenRecord, Environment, EnvironmentStore, FlowStore};
use sluice_store_sqlite::SqliteStore;

fn flow(env: EnvironmentId) -> Flow {
    let body = json!({
        "amount": "1", "currency": "USD",
        "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "EVM", "chainId": "1", "tokenAddress": "0x0000000000000000000000000000000000000000", "symbol": "ETH", "tokenDecimals": 18}]},
        "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045"}]}
    });
    parse_create(
        body.as_object().unwrap(),
        FlowMode::Payment,
        env,
        Timestamp(1),
    )
    .unwrap()
}

fn temp_db(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("sluice-{name}-{}.db", uuid::Uuid::new_v4()))
}

fn url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

fn remove_db(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// A new environment with one token, stored through `store`.
async fn environment(store: &SqliteStore) -> Environment {
    let env = Environment {
        id: EnvironmentId::new_random(),
        name: "t".into(),
        allowed_origins: vec![],
        enabled_chains: None,
        display_name: None,
        created_at: Timestamp(0),
    };
    let token = ApiTokenRecord {
        environment_id: env.id,
        prefix: "p".into(),
        hash: sluice_domain::TokenHash([1; 32]),
        scopes: vec![],
        created_at: Timestamp(0),
        revoked_at: None,
    };
    store.create_environment(&env, &token).await.unwrap();
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_job_undoes_nothing_else_in_its_batch() {
    let path = temp_db("batch");
    let store = SqliteStore::connect(&url(&path)).await.unwrap();
    let env = environment(&store).await;
    let existing = flow(env.id);
    store.insert_flow(&existing, None).await.unwrap();

    // 200 concurrent inserts, every tenth a duplicate of the existing flow.
    let flows: Vec<Flow> = (0..200)
        .map(|i| {
            if i % 10 == 0 {
                existing.clone()
            } else {
                flow(env.id)
            }
        })
        .collect();
    let results = futures::future::join_all(flows.iter().map(|f| store.insert_flow(f, None))).await;
    for (i, (f, result)) in flows.iter().zip(&results).enumerate() {
        assert_eq!(result.is_err(), i % 10 == 0, "job {i}: {result:?}");
        assert!(
            store.flow(env.id, f.id).await.unwrap().is_some(),
            "job {i}'s flow is stored"
        );
    }
    let query = sluice_store::FlowQuery {
        limit: 1000,
        ..Default::default()
    };
    assert_eq!(
        store
            .list_flows(env.id, &query, Timestamp(1))
            .await
            .unwrap()
            .len(),
        1 + 180
    );
    remove_db(&path);
}

/// The writer remembers the flows it wrote. One process owns a database file, but should a
/// second writer change a flow anyway, the remembered copy is stale: the revision guard
/// refuses to write over the newer row, and the next attempt starts from the row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_remembered_flow_is_refused_then_reread() {
    use sluice_domain::attach::{AttachPolicy, parse_attach};
    use sluice_domain::transitions::{self, AttachInput};
    use sluice_store::FlowOp;

    let path = temp_db("stale");
    let first = SqliteStore::connect(&url(&path)).await.unwrap();
    let second = SqliteStore::connect(&url(&path)).await.unwrap();
    let env = environment(&first).await;
    let flow = flow(env.id);
    first.insert_flow(&flow, None).await.unwrap();
    let body = json!({"sourceType": "wallet", "fromAddress": "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045",
                      "fromChainId": "1", "fromChainName": "EVM"});
    let policy = AttachPolicy {
        enabled_chains: None,
        configured_exchanges: &[],
    };
    let request = parse_attach(body.as_object().unwrap(), policy).unwrap();
    let attach = |n: u8| -> FlowOp {
        let request = request.clone();
        Box::new(move |current| {
            let input = AttachInput {
                request: &request,
                presented_token: None,
                screening_hit: false,
                new_token: sluice_domain::TokenHash([n; 32]),
            };
            transitions::attach(current.unwrap(), &input, Timestamp(2))
        })
    };

    let by_first = first.transition(env.id, flow.id, attach(2)).await.unwrap();
    assert_eq!(by_first.unwrap().revision, 1);
    let by_second = second.transition(env.id, flow.id, attach(3)).await.unwrap();
    assert_eq!(by_second.unwrap().revision, 2);
    // The first store remembers revision 1: its write is refused, nothing is overwritten.
    let stale = first.transition(env.id, flow.id, attach(4)).await;
    assert!(stale.is_err(), "{stale:?}");
    let stored = second.flow(env.id, flow.id).await.unwrap().unwrap();
    assert_eq!(
        stored.session_token_hash,
        Some(sluice_domain::TokenHash([3; 32]))
    );
    // Then it starts from the row.
    let again = first.transition(env.id, flow.id, attach(5)).await.unwrap();
    assert_eq!(again.unwrap().revision, 3);
    remove_db(&path);
}

/// Jobs share a transaction without a savepoint each, so a job that fails after one of its
/// statements wrote must take its whole batch down: here a trigger makes one flow's event
/// insert fail after its row was updated. Whatever each caller was told must be what the
/// file holds: a success is written with its event, a failure left no trace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_failing_after_it_wrote_rolls_back_its_batch() {
    use sluice_domain::transitions;
    use sluice_store::FlowOp;

    let path = temp_db("half");
    let store = SqliteStore::connect(&url(&path)).await.unwrap();
    let env = environment(&store).await;
    let flows: Vec<Flow> = (0..40).map(|_| flow(env.id)).collect();
    for f in &flows {
        store.insert_flow(f, None).await.unwrap();
    }
    let victim = flows[7].id;
    let side = rusqlite::Connection::open(&path).unwrap();
    side.execute_batch(&format!(
        "CREATE TRIGGER fail_victim BEFORE INSERT ON flow_events WHEN NEW.flow_id = '{victim}' \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
    ))
    .unwrap();

    let cancel = || -> FlowOp {
        Box::new(|current| transitions::server_cancel(current.unwrap(), Timestamp(2)))
    };
    let results = futures::future::join_all(
        flows
            .iter()
            .map(|f| store.transition(env.id, f.id, cancel())),
    )
    .await;

    let reader = SqliteStore::connect(&url(&path)).await.unwrap();
    let mut succeeded = 0;
    for (f, result) in flows.iter().zip(&results) {
        let stored = reader.flow(env.id, f.id).await.unwrap().unwrap();
        let events: i64 = side
            .query_row(
                "SELECT COUNT(*) FROM flow_events WHERE flow_id = ?1",
                [f.id.to_string()],
                |row| row.get(0),
            )
            .unwrap();
        match result {
            Ok(Ok(_)) => {
                succeeded += 1;
                assert_eq!(stored.revision, 1, "{}", f.id);
                assert_eq!(events, 1, "{}", f.id);
            }
            other => {
                assert!(other.is_err(), "{other:?}");
                assert_eq!(stored.revision, 0, "a failed write left a trace: {}", f.id);
                assert_eq!(events, 0, "{}", f.id);
            }
        }
    }
    assert!(results[7].is_err(), "{:?}", results[7]);

    // The writer is usable afterwards and reads no forgotten copy: every flow whose write
    // failed (the victim, and whichever shared its batch — all of them, when the 40 jobs
    // landed in one batch) now cancels on its own, from revision 0.
    side.execute_batch("DROP TRIGGER fail_victim").unwrap();
    let mut retried = 0;
    for (f, result) in flows.iter().zip(&results) {
        if result.is_err() {
            let again = store.transition(env.id, f.id, cancel()).await.unwrap();
            assert_eq!(again.unwrap().revision, 1, "{}", f.id);
            retried += 1;
        }
    }
    assert_eq!(succeeded + retried, flows.len());
    remove_db(&path);
}
