//! Server routes S1–S4 over real HTTP, on SQLite and PostgreSQL.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    create_answers_the_exact_flow_shape,
    create_reports_every_rule_violation_at_once,
    create_refuses_unreadable_requests_with_400,
    server_routes_check_token_environment_and_scope,
    idempotency_key_replays_refuses_and_locks,
    get_shows_the_server_view_and_hides_other_environments,
    server_cancel_only_from_initiated,
    list_paginates_newest_first_and_filters_as_reads_show,
    unknown_routes_and_methods_answer_the_envelope,
    metrics_are_exported_in_prometheus_text,
);

async fn metrics_are_exported_in_prometheus_text(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let flow = app.create_flow().await;
    app.attach_wallet(&flow).await;
    app.create_flow().await;
    let reply = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert!(
        reply.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = reply.text().await.unwrap();
    for needle in [
        "sluice_http_requests_total{route=\"/api/v0/server/{environmentId}/flow/{segment}\",method=\"POST\",status=\"201\"}",
        "sluice_http_request_duration_seconds_bucket{",
        "sluice_flows{execution_state=\"initiated\"} 1",
        "sluice_flows{execution_state=\"source_attached\"} 1",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
}

async fn create_answers_the_exact_flow_shape(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let flow = app
        .create_flow_with(json!({"memo": {"orderId": "A-1"}, "userId": "u-7", "amount": "0.50", "expiresIn": 5, "uiConfig": {"returnUrl": "https://shop.example.com/done"}}))
        .await;
    assert_eq!(flow["amount"], "0.50", "amount is echoed as sent");
    assert_eq!(flow["currency"], "USD");
    assert_eq!(flow["mode"], "payment");
    assert_eq!(flow["executionState"], "initiated");
    assert_eq!(flow["settlementState"], "none");
    assert_eq!(flow["riskState"], "unknown");
    assert_eq!(flow["quoteVersion"], 0);
    assert_eq!(flow["pegStablecoins"], false);
    assert_eq!(flow["disableSwaps"], false);
    assert!(
        flow["settlementTxHash"].is_null()
            && flow.as_object().unwrap().contains_key("settlementTxHash")
    );
    assert_eq!(flow["memo"], json!({"orderId": "A-1"}));
    assert_eq!(flow["userId"], "u-7");
    assert_eq!(flow["createdAt"], "2026-11-23T10:00:00.000Z");
    assert_eq!(
        flow["expiresAt"], "2026-11-23T10:01:00.000Z",
        "expiresIn is clamped up to 60 s"
    );
    assert_eq!(
        flow["uiConfig"]["returnUrl"],
        "https://shop.example.com/done"
    );
    assert!(
        flow.get("sourceType").is_none() && flow.get("quote").is_none(),
        "empty optionals are omitted"
    );
    let id = flow["id"].as_str().unwrap();
    assert!(sluice_domain::ids::is_canonical_uuid(id));

    let default_expiry = app.create_flow_with(json!({"expiresIn": null})).await;
    assert_eq!(
        default_expiry["expiresAt"], "2026-11-23T11:00:00.000Z",
        "default 3600 s"
    );
    let capped = app
        .create_flow_with(json!({"expiresIn": 999_999_999}))
        .await;
    assert_eq!(
        capped["expiresAt"], "2027-11-23T10:00:00.000Z",
        "clamped to one year"
    );
    let checksummed = app
        .create_flow_with(json!({"destinationConfig": {"destinations": [{"chainName": "EVM", "type": "address", "identifier": VITALIK.to_lowercase()}]}}))
        .await;
    assert_eq!(
        checksummed["destinationConfig"]["destinations"][0]["identifier"], VITALIK,
        "stored in canonical EIP-55 form"
    );
}

async fn create_reports_every_rule_violation_at_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let body = json!({
        "amount": "0",
        "currency": " USD",
        "settlementConfig": {
            "strategy": "slowest",
            "settlements": [{"chainName": "SOL", "chainId": "mainnet", "tokenAddress": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", "symbol": "USDC", "tokenDecimals": 6},
                            {"chainName": "EVM", "chainId": "0x1", "tokenAddress": "0x123", "symbol": "USDC", "tokenDecimals": 300}]
        },
        "destinationConfig": {"destinations": [{"chainName": "EVM", "type": "ens", "identifier": "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96046"}]}
    });
    let reply = app.server(Method::POST, "/flow/payment", Some(&body)).await;
    let body = reply.assert_error(422, "validation_failed");
    let fields: Vec<(&str, &str)> = body["payload"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    for expected in [
        ("amount", "out_of_range"),
        ("currency", "pattern"),
        ("settlementConfig.strategy", "invalid_enum"),
        ("settlementConfig.settlements[1].chainId", "pattern"),
        (
            "settlementConfig.settlements[1].tokenAddress",
            "invalid_address",
        ),
        (
            "settlementConfig.settlements[1].tokenDecimals",
            "out_of_range",
        ),
        ("destinationConfig.destinations[0].type", "invalid_enum"),
        (
            "destinationConfig.destinations[0].identifier",
            "invalid_address",
        ),
    ] {
        assert!(
            fields.contains(&expected),
            "missing {expected:?} in {fields:?}"
        );
    }

    let missing = app
        .server(
            Method::POST,
            "/flow/deposit",
            Some(&json!({"settlementConfig": null})),
        )
        .await;
    let body = missing.assert_error(422, "validation_failed");
    let fields: Vec<&str> = body["payload"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "amount",
            "currency",
            "settlementConfig",
            "destinationConfig"
        ]
    );

    let mut unpaired = flow_body();
    unpaired["settlementConfig"]["settlements"][0]["chainName"] = json!("BTC");
    unpaired["settlementConfig"]["settlements"][0]["chainId"] = json!("mainnet");
    unpaired["settlementConfig"]["settlements"][0]["tokenAddress"] = json!("bitcoin");
    unpaired["settlementConfig"]["settlements"][0]["symbol"] = json!("BTC");
    unpaired["settlementConfig"]["settlements"][0]["tokenDecimals"] = json!(8);
    let reply = app
        .server(Method::POST, "/flow/payment", Some(&unpaired))
        .await;
    assert_eq!(
        reply.assert_error(422, "validation_failed")["payload"]["errors"][0]["code"],
        "missing_destination"
    );

    let mut empty = flow_body();
    empty["settlementConfig"]["settlements"] = json!([]);
    let reply = app
        .server(Method::POST, "/flow/payment", Some(&empty))
        .await;
    assert_eq!(
        reply.assert_error(422, "validation_failed")["payload"]["errors"][0]["field"],
        "settlementConfig.settlements"
    );

    let listed = app.server(Method::GET, "/flows", None).await;
    assert_eq!(
        listed.body["flows"].as_array().unwrap().len(),
        0,
        "refused creates store nothing"
    );
}

async fn create_refuses_unreadable_requests_with_400(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let auth = format!("Bearer {}", app.api_token);
    let path = format!("/api/v0/server/{}/flow/payment", app.env_id);
    let h = [("authorization", auth.as_str())];
    app.send(Method::POST, &path, &h, Some("{not json"))
        .await
        .assert_error(400, "invalid_request");
    app.send(Method::POST, &path, &h, Some("[]"))
        .await
        .assert_error(400, "invalid_request");
    app.send(Method::POST, &path, &h, None)
        .await
        .assert_error(400, "invalid_request");
    let mut wrong_type = flow_body();
    wrong_type["amount"] = json!(25);
    let reply = app
        .server(Method::POST, "/flow/payment", Some(&wrong_type))
        .await;
    assert!(
        reply.assert_error(400, "invalid_request")["error"]
            .as_str()
            .unwrap()
            .contains("amount")
    );
    let mut wrong_nested = flow_body();
    wrong_nested["settlementConfig"]["settlements"][0]["tokenDecimals"] = json!("6");
    app.server(Method::POST, "/flow/payment", Some(&wrong_nested))
        .await
        .assert_error(400, "invalid_request");
    app.server(Method::POST, "/flow/refund", Some(&flow_body()))
        .await
        .assert_error(400, "invalid_request");
    let bad_env = "/api/v0/server/NOT-A-UUID/flow/payment";
    app.send(Method::POST, bad_env, &h, Some("{}"))
        .await
        .assert_error(400, "invalid_request");
    let upper = format!(
        "/api/v0/server/{}/flow/payment",
        app.env_id.to_string().to_uppercase()
    );
    app.send(Method::POST, &upper, &h, Some("{}"))
        .await
        .assert_error(400, "invalid_request");
    let mut huge = flow_body();
    huge["memo"] = json!({"blob": "x".repeat(70 * 1024)});
    app.server(Method::POST, "/flow/payment", Some(&huge))
        .await
        .assert_error(413, "payload_too_large");
    // Content-Type is not consulted: a text/plain JSON body is read as JSON.
    let reply = app
        .send(
            Method::POST,
            &path,
            &[("authorization", &auth), ("content-type", "text/plain")],
            Some(&flow_body().to_string()),
        )
        .await;
    assert_eq!(reply.status, 201);
}

async fn server_routes_check_token_environment_and_scope(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let flow = app.create_flow().await;
    let get = format!("/api/v0/server/{}/flow/{flow}", app.env_id);
    app.send(Method::GET, &get, &[], None)
        .await
        .assert_error(401, "unauthorized");
    app.send(
        Method::GET,
        &get,
        &[("authorization", "Bearer slc_nope")],
        None,
    )
    .await
    .assert_error(401, "unauthorized");
    app.send(Method::GET, &get, &[("authorization", "Basic abc")], None)
        .await
        .assert_error(401, "unauthorized");

    let (_, other_token) = app.other_environment().await;
    let other = format!("Bearer {other_token}");
    app.send(Method::GET, &get, &[("authorization", &other)], None)
        .await
        .assert_error(403, "forbidden");

    let read_only = sluice_server::cli::new_environment("x", vec![], START).1;
    let minted = sluice_domain::token::mint_api_token();
    let record = sluice_store::ApiTokenRecord {
        environment_id: app.env_id,
        prefix: minted.secret[4..12].to_owned(),
        hash: minted.hash,
        scopes: vec!["flow.read".into()],
        ..read_only
    };
    app.store.create_api_token(&record).await.unwrap();
    let reader = format!("Bearer {}", minted.secret);
    assert_eq!(
        app.send(Method::GET, &get, &[("authorization", &reader)], None)
            .await
            .status,
        200
    );
    let create = format!("/api/v0/server/{}/flow/payment", app.env_id);
    let body = flow_body().to_string();
    app.send(
        Method::POST,
        &create,
        &[("authorization", &reader)],
        Some(&body),
    )
    .await
    .assert_error(403, "forbidden");
    let cancel = format!("{get}/cancel");
    app.send(Method::POST, &cancel, &[("authorization", &reader)], None)
        .await
        .assert_error(403, "forbidden");

    let revoked = app
        .store
        .revoke_api_tokens(&record.prefix, START)
        .await
        .unwrap();
    assert_eq!(revoked, 1);
    app.send(Method::GET, &get, &[("authorization", &reader)], None)
        .await
        .assert_error(401, "unauthorized");
    // Path IDs are checked before the token.
    app.send(Method::GET, "/api/v0/server/x/flow/y", &[], None)
        .await
        .assert_error(400, "invalid_request");
}

async fn idempotency_key_replays_refuses_and_locks(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let auth = format!("Bearer {}", app.api_token);
    let path = format!("/api/v0/server/{}/flow/payment", app.env_id);
    let with_key = |key: &'static str| {
        [
            ("authorization", auth.clone()),
            ("idempotency-key", key.to_owned()),
        ]
    };
    let h1 = with_key("order-1");
    let h1: Vec<(&str, &str)> = h1.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let first = app
        .send(Method::POST, &path, &h1, Some(&flow_body().to_string()))
        .await;
    assert_eq!(first.status, 201);
    // Same JSON, other key order and spacing: the stored answer again, not a second flow.
    let reordered = serde_json::to_string_pretty(&flow_body()).unwrap();
    let again = app.send(Method::POST, &path, &h1, Some(&reordered)).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    let listed = app.server(Method::GET, "/flows", None).await;
    assert_eq!(listed.body["flows"].as_array().unwrap().len(), 1);

    let mut other = flow_body();
    other["amount"] = json!("26.00");
    app.send(Method::POST, &path, &h1, Some(&other.to_string()))
        .await
        .assert_error(422, "idempotency_key_reused");

    // The same key on another path is another key.
    let deposit = format!("/api/v0/server/{}/flow/deposit", app.env_id);
    assert_eq!(
        app.send(Method::POST, &deposit, &h1, Some(&flow_body().to_string()))
            .await
            .status,
        201
    );

    // 422 answers are stored and replayed too.
    let h2 = with_key("order-2");
    let h2: Vec<(&str, &str)> = h2.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = app.send(Method::POST, &path, &h2, Some("{}")).await;
    refused.assert_error(422, "validation_failed");
    let replayed = app.send(Method::POST, &path, &h2, Some("{ }")).await;
    assert_eq!(
        (replayed.status, replayed.body),
        (refused.status, refused.body)
    );

    // A key held by a request still running answers 409.
    let key = sluice_store::IdempotencyKeyRef {
        environment_id: app.env_id,
        path: path.clone(),
        key: "order-3".into(),
    };
    let claim = sluice_store::IdempotencyClaim {
        key,
        request_hash: [0; 32],
        now: START,
        lease_until: START.plus_seconds(60),
        answers_valid_after: START.plus_seconds(-86_400),
    };
    assert_eq!(
        app.store.claim_idempotency_key(&claim).await.unwrap(),
        sluice_store::ClaimOutcome::Claimed
    );
    let h3 = with_key("order-3");
    let h3: Vec<(&str, &str)> = h3.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.send(Method::POST, &path, &h3, Some(&flow_body().to_string()))
        .await
        .assert_error(409, "idempotency_key_in_use");
    // ... until its lease runs out (the request died): then the key is taken over.
    app.clock.advance_seconds(61);
    assert_eq!(
        app.send(Method::POST, &path, &h3, Some(&flow_body().to_string()))
            .await
            .status,
        201
    );

    // Answers expire after 24 h: the same key then creates a new flow.
    app.clock.advance_seconds(86_401);
    let fresh = app
        .send(Method::POST, &path, &h1, Some(&flow_body().to_string()))
        .await;
    assert_eq!(fresh.status, 201);
    assert_ne!(fresh.body["flow"]["id"], first.body["flow"]["id"]);

    let bad = [("authorization", auth.as_str()), ("idempotency-key", "")];
    app.send(Method::POST, &path, &bad, Some(&flow_body().to_string()))
        .await
        .assert_error(400, "invalid_request");
    let long = "k".repeat(256);
    let bad = [
        ("authorization", auth.as_str()),
        ("idempotency-key", long.as_str()),
    ];
    app.send(Method::POST, &path, &bad, Some(&flow_body().to_string()))
        .await
        .assert_error(400, "invalid_request");
}

async fn get_shows_the_server_view_and_hides_other_environments(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let flow = app
        .create_flow_with(json!({"memo": {"k": "v"}, "userId": "u-1"}))
        .await;
    let id = flow["id"].as_str().unwrap();
    let reply = app.server(Method::GET, &format!("/flow/{id}"), None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body, flow,
        "S2 answers the bare flow, identical to the created one"
    );
    app.server(
        Method::GET,
        &format!("/flow/{}", uuid::Uuid::new_v4()),
        None,
    )
    .await
    .assert_error(404, "flow_not_found");

    let (other_env, other_token) = app.other_environment().await;
    let path = format!("/api/v0/server/{other_env}/flow/{id}");
    let auth = format!("Bearer {other_token}");
    app.send(Method::GET, &path, &[("authorization", &auth)], None)
        .await
        .assert_error(404, "flow_not_found");
}

async fn server_cancel_only_from_initiated(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let flow = app.create_flow().await;
    let reply = app
        .server(Method::POST, &format!("/flow/{flow}/cancel"), None)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["executionState"], "cancelled");
    assert_eq!(reply.body["settlementState"], "none");
    let again = app
        .server(Method::POST, &format!("/flow/{flow}/cancel"), None)
        .await;
    let body = again.assert_error(409, "flow_invalid_transition");
    assert_eq!(
        body["payload"],
        json!({"executionState": "cancelled", "settlementState": "none", "riskState": "unknown"})
    );
    assert_eq!(app.event_types(&flow).await, ["flow.execution.updated"]);

    let attached = app.create_flow().await;
    app.attach_wallet(&attached).await;
    let reply = app
        .server(Method::POST, &format!("/flow/{attached}/cancel"), None)
        .await;
    assert_eq!(
        reply.assert_error(409, "flow_invalid_transition")["payload"]["executionState"],
        "source_attached"
    );

    let overdue = app.create_flow().await;
    app.clock.advance_seconds(3600);
    let reply = app
        .server(Method::POST, &format!("/flow/{overdue}/cancel"), None)
        .await;
    assert_eq!(
        reply.assert_error(409, "flow_invalid_transition")["payload"]["executionState"],
        "expired"
    );
    app.server(
        Method::POST,
        &format!("/flow/{}/cancel", uuid::Uuid::new_v4()),
        None,
    )
    .await
    .assert_error(404, "flow_not_found");
}

async fn list_paginates_newest_first_and_filters_as_reads_show(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut created = Vec::new();
    for i in 0..5 {
        let mode = if i % 2 == 0 { "payment" } else { "deposit" };
        let reply = app
            .server(Method::POST, &format!("/flow/{mode}"), Some(&flow_body()))
            .await;
        created.push(reply.body["flow"]["id"].as_str().unwrap().to_owned());
        if i < 3 {
            app.clock.advance_seconds(1);
        }
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = cursor
            .as_ref()
            .map_or("?limit=2".to_owned(), |c| format!("?limit=2&cursor={c}"));
        let page = app.server(Method::GET, &format!("/flows{q}"), None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        seen.extend(
            page.body["flows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned()),
        );
        match &page.body["nextCursor"] {
            Value::Null => break,
            Value::String(c) => cursor = Some(c.clone()),
            other => panic!("nextCursor must be a string or null, got {other}"),
        }
    }
    assert_eq!(pages, 3);
    let mut expected = created.clone();
    expected.reverse();
    // The last two share a createdAt; ties are broken by ID, descending.
    expected[..2].sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, expected);

    let deposits = app.server(Method::GET, "/flows?mode=deposit", None).await;
    assert_eq!(deposits.body["flows"].as_array().unwrap().len(), 2);
    app.server(Method::POST, &format!("/flow/{}/cancel", created[0]), None)
        .await;
    let cancelled = app
        .server(Method::GET, "/flows?executionState=cancelled", None)
        .await;
    assert_eq!(cancelled.body["flows"][0]["id"], created[0].as_str());

    app.clock.advance_seconds(3600);
    let expired = app
        .server(
            Method::GET,
            "/flows?executionState=expired&settlementState=none",
            None,
        )
        .await;
    assert_eq!(
        expired.body["flows"].as_array().unwrap().len(),
        4,
        "overdue flows list as expired before the sweeper runs"
    );
    assert!(
        expired.body["flows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["executionState"] == "expired")
    );
    let initiated = app
        .server(Method::GET, "/flows?executionState=initiated", None)
        .await;
    assert_eq!(initiated.body["flows"].as_array().unwrap().len(), 0);

    for bad in [
        "limit=0",
        "limit=101",
        "limit=x",
        "executionState=done",
        "settlementState=paid",
        "mode=refund",
        "cursor=!!",
        "cursor=YWJj",
    ] {
        app.server(Method::GET, &format!("/flows?{bad}"), None)
            .await
            .assert_error(400, "invalid_request");
    }
}

async fn unknown_routes_and_methods_answer_the_envelope(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.send(Method::GET, "/api/v0/nothing", &[], None)
        .await
        .assert_error(404, "not_found");
    let flow = app.create_flow().await;
    let path = format!("/api/v0/server/{}/flow/{flow}", app.env_id);
    app.send(Method::DELETE, &path, &[], None)
        .await
        .assert_error(405, "method_not_allowed");
    let healthz = app.send(Method::GET, "/healthz", &[], None).await;
    assert_eq!(healthz.status, 200);
    assert_eq!(
        app.send(Method::GET, "/readyz", &[], None).await.status,
        200
    );
}
