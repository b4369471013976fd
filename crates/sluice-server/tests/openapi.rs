//! The OpenAPI document: generated from the routes, committed as `openapi.json`, served at
//! `GET /api/v0/openapi.json`. Its validity and the server's conformance to it are checked by
//! independent tools in `scripts/check-openapi.sh`.

mod common;

use common::*;
use serde_json::Value;

const REGENERATE: &str = "cargo run -- openapi > openapi.json";

fn committed() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}; run `{REGENERATE}`"))
}

#[test]
fn openapi_document_is_current() {
    let generated = sluice_server::openapi::document_json();
    assert!(
        committed() == generated,
        "openapi.json differs from what the code generates; run `{REGENERATE}` and commit it"
    );
}

#[test]
fn every_operation_is_documented_with_an_id_a_tag_and_its_answers() {
    let document: Value = serde_json::from_str(&sluice_server::openapi::document_json()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            let id = operation["operationId"].as_str().expect(&name);
            assert!(
                operation_ids.insert(id.to_owned()),
                "{name}: duplicate operationId {id}"
            );
            assert!(operation["tags"][0].is_string(), "{name}: no tag");
            assert!(
                operation["responses"]["200"].is_object()
                    || operation["responses"]["201"].is_object(),
                "{name}: no success answer"
            );
            if path.starts_with("/api/v0/server/") {
                assert_eq!(
                    operation["security"][0]["apiToken"],
                    serde_json::json!([]),
                    "{name}"
                );
                assert!(operation["responses"]["401"].is_object(), "{name}: no 401");
            }
        }
    }
    // S1–S5, S6 (8 operations), P1–P8, the four operations routes.
    assert_eq!(operation_ids.len(), 5 + 8 + 8 + 4, "{operation_ids:?}");
}

both_backends!(the_document_is_served_as_json);

async fn the_document_is_served_as_json(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let reply = app
        .http
        .get(format!("{}/api/v0/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.headers()["content-type"], "application/json");
    assert_eq!(reply.text().await.unwrap(), committed());
}
