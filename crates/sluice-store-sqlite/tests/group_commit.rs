//! Group commit: concurrent flow writes share transactions, yet each caller gets its own
//! answer, and one job's database error (here a duplicate flow ID) undoes nothing else.

use serde_json::json;
use sluice_domain::create::parse_create;
use sluice_domain::{EnvironmentId, Flow, FlowMode, Timestamp};
use sluice_store::{ApiTokenRecord, Environment, Store};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_job_undoes_nothing_else_in_its_batch() {
    let path = std::env::temp_dir().join(format!("sluice-batch-{}.db", uuid::Uuid::new_v4()));
    let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let env = Environment {
        id: EnvironmentId::new_random(),
        name: "t".into(),
        allowed_origins: vec![],
        enabled_chains: None,
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
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
