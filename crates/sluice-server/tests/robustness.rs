//! No client input gets a 5xx, and a database failure gets a bare `internal` that reveals
//! nothing.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection;

both_backends!(
    random_attach_bodies_never_get_a_5xx,
    database_failures_answer_a_bare_internal_error
);

/// JSON values that hit the attach parser's interesting paths: the real keys, with values
/// of every type, including near-valid strings.
fn attach_body() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("wallet".to_owned()),
            Just("exchange".to_owned()),
            Just("deposit_address".to_owned()),
            Just("EVM".to_owned()),
            Just("8453".to_owned()),
            Just("coinbase".to_owned()),
            Just(VITALIK.to_owned()),
            "\\PC{0,120}",
        ]
        .prop_map(Value::from),
    ];
    let value = scalar.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            inner
        ]
    });
    let keys = [
        "sourceType",
        "fromAddress",
        "fromChainId",
        "fromChainName",
        "exchangeProvider",
        "refundAddress",
        "other",
    ];
    prop::collection::vec((prop::sample::select(keys.to_vec()), value), 0..7).prop_map(|pairs| {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    })
}

async fn random_attach_bodies_never_get_a_5xx(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    let mut runner = TestRunner::new(Config {
        cases: 150,
        ..Config::default()
    });
    let mut bodies = Vec::new();
    for _ in 0..150 {
        bodies.push(attach_body().new_tree(&mut runner).unwrap().current());
    }
    bodies.push(json!("just a string"));
    for body in bodies {
        let reply = app.attach(&id, &body).await;
        assert!(
            [200, 400, 409, 422].contains(&reply.status.as_u16()),
            "{body} -> {} {}",
            reply.status,
            reply.body
        );
        assert!(reply.status == 200 || reply.body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
}

async fn database_failures_answer_a_bare_internal_error(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    // Break the database behind the server's back.
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::query("DROP TABLE flows")
                .execute(&mut conn)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            // CASCADE: other tables (deposit addresses) reference flows.
            sqlx::query("DROP TABLE flows CASCADE")
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
    // A read of a flow this server has not written needs the database (on SQLite the writer
    // answers reads of the flows it wrote from memory).
    let unknown = sluice_domain::FlowId::new_random();
    let reply = app
        .server(Method::GET, &format!("/flow/{unknown}"), None)
        .await;
    reply.assert_error(500, "internal");
    let text = reply.body.to_string();
    assert!(
        !text.contains("flows") && !text.contains("sql") && !text.contains("table"),
        "no internals: {text}"
    );
    let reply = app.attach(&id, &wallet_source()).await;
    reply.assert_error(500, "internal");
}
