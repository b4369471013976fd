//! Payer routes P1, P4 and P8 over real HTTP as the SDK calls them, on SQLite and PostgreSQL:
//! the origin gate and CORS, every attach rule, the state and token gates, screening.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    payer_view_hides_merchant_fields,
    payer_routes_check_ids_environment_then_origin,
    preflight_and_cors_headers_on_every_answer,
    wallet_source_rules,
    deposit_address_and_exchange_source_rules,
    environment_restrictions_have_their_own_codes,
    unreadable_attach_bodies_are_400,
    validation_comes_before_the_flow_lookup,
    screening_blocks_without_saving_anything,
    attach_state_gate_and_signing_needs_the_live_token,
    reattach_replaces_the_source_and_keeps_quote_version,
    every_chain_family_has_its_address_rule,
);

async fn payer_view_hides_merchant_fields(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let flow = app
        .create_flow_with(json!({"memo": {"invoice": 9}, "userId": "u-9"}))
        .await;
    let id = flow["id"].as_str().unwrap();
    let reply = app.payer(Method::GET, id, "", None, None).await;
    assert_eq!(reply.status, 200);
    let mut expected = flow.clone();
    expected.as_object_mut().unwrap().remove("memo");
    expected.as_object_mut().unwrap().remove("userId");
    assert_eq!(
        reply.body, expected,
        "P1 is the bare flow without memo and userId"
    );

    let attached = app.attach(id, &wallet_source()).await;
    assert!(
        attached.body["flow"].get("memo").is_none()
            && attached.body["flow"].get("userId").is_none()
    );

    app.payer(
        Method::GET,
        &uuid::Uuid::new_v4().to_string(),
        "",
        None,
        None,
    )
    .await
    .assert_error(404, "flow_not_found");
    // An Authorization header on an SDK route is never read as an API token.
    let path = format!("/api/v0/sdk/{}/flow/{id}", app.env_id);
    let reply = app
        .send(
            Method::GET,
            &path,
            &[("authorization", "Bearer user-jwt-from-dynamic")],
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
}

async fn payer_routes_check_ids_environment_then_origin(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    let evil = [("origin", "https://evil.example")];
    let unknown_env = uuid::Uuid::new_v4();
    app.send(
        Method::GET,
        &format!("/api/v0/sdk/bad/flow/{id}"),
        &evil,
        None,
    )
    .await
    .assert_error(400, "invalid_request");
    app.send(
        Method::GET,
        &format!("/api/v0/sdk/{}/flow/BAD", app.env_id),
        &evil,
        None,
    )
    .await
    .assert_error(400, "invalid_request");
    app.send(
        Method::GET,
        &format!("/api/v0/sdk/{unknown_env}/flow/{id}"),
        &evil,
        None,
    )
    .await
    .assert_error(404, "flow_not_found");
    let reply = app
        .send(
            Method::GET,
            &format!("/api/v0/sdk/{}/flow/{id}", app.env_id),
            &evil,
            None,
        )
        .await;
    reply.assert_error(403, "origin_not_allowed");
    assert!(
        reply.header("access-control-allow-origin").is_none(),
        "a refused origin gets no CORS headers"
    );

    let (other_env, _) = app.other_environment().await;
    let path = format!("/api/v0/sdk/{other_env}/flow/{id}");
    app.send(Method::GET, &path, &[], None)
        .await
        .assert_error(404, "flow_not_found");
    // The gate runs before the body is read: a disallowed origin learns nothing more.
    let source = format!("/api/v0/sdk/{}/flow/{id}/source", app.env_id);
    app.send(Method::POST, &source, &evil, Some("{"))
        .await
        .assert_error(403, "origin_not_allowed");
    let cancel = format!("/api/v0/sdk/{}/flow/{id}/cancel", app.env_id);
    app.send(Method::POST, &cancel, &evil, None)
        .await
        .assert_error(403, "origin_not_allowed");
}

async fn preflight_and_cors_headers_on_every_answer(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    for suffix in ["", "/source", "/cancel"] {
        let path = format!("/api/v0/sdk/{}/flow/{id}{suffix}", app.env_id);
        let headers = [
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "content-type,x-dynamic-flow-session-token,x-dyn-api-version",
            ),
        ];
        let reply = app.send(Method::OPTIONS, &path, &headers, None).await;
        assert_eq!(reply.status, 204, "{suffix}");
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some("http://localhost:3000")
        );
        assert_eq!(reply.header("vary"), Some("Origin"));
        let allowed = reply.header("access-control-allow-headers").unwrap();
        for h in [
            "content-type",
            "x-dynamic-flow-session-token",
            "x-dyn-api-version",
            "x-dyn-version",
            "x-dynamic-platform",
            "x-dyn-request-id",
            "x-dyn-session-id",
            "x-dyn-session-public-key",
            "authorization",
        ] {
            assert!(allowed.contains(h), "{h} missing from {allowed}");
        }
        assert!(
            reply
                .header("access-control-allow-methods")
                .unwrap()
                .contains("POST")
        );
        let refused = app
            .send(
                Method::OPTIONS,
                &path,
                &[("origin", "https://evil.example")],
                None,
            )
            .await;
        refused.assert_error(403, "origin_not_allowed");
        assert!(refused.header("access-control-allow-origin").is_none());
    }
    // A preflight never looks at the flow.
    let unknown = format!(
        "/api/v0/sdk/{}/flow/{}/source",
        app.env_id,
        uuid::Uuid::new_v4()
    );
    assert_eq!(
        app.send(
            Method::OPTIONS,
            &unknown,
            &[("origin", ALLOWED_ORIGIN)],
            None
        )
        .await
        .status,
        204
    );
    // Errors to an allowed origin are readable by the browser too.
    let reply = app
        .payer(
            Method::GET,
            &uuid::Uuid::new_v4().to_string(),
            "",
            None,
            None,
        )
        .await;
    reply.assert_error(404, "flow_not_found");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    assert_eq!(
        reply.header("access-control-expose-headers"),
        Some("Retry-After")
    );
    let reply = app.cancel_as_payer(&id, "dft_wrong").await;
    reply.assert_error(401, "invalid_session_token");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    let reply = app.payer(Method::DELETE, &id, "/source", None, None).await;
    reply.assert_error(405, "method_not_allowed");
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    // Wildcard port entries also match no port; exact entries match exactly.
    let path = format!("/api/v0/sdk/{}/flow/{id}", app.env_id);
    for (origin, status) in [
        ("http://localhost", 200),
        ("https://shop.example.com", 200),
        ("https://shop.example.com:444", 403),
    ] {
        let reply = app
            .send(Method::GET, &path, &[("origin", origin)], None)
            .await;
        assert_eq!(reply.status, status, "{origin}");
    }
}

/// The `(field, code)` pairs of a 422.
fn violations(reply: &Reply) -> Vec<(String, String)> {
    reply.body["payload"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no payload.errors in {}", reply.body))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect()
}

async fn wallet_source_rules(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    let reply = app.attach(&id, &json!({"sourceType": "wallet"})).await;
    reply.assert_error(422, "validation_failed");
    assert_eq!(
        violations(&reply),
        pairs(&[
            ("fromChainId", "required"),
            ("fromChainName", "required"),
            ("fromAddress", "required")
        ])
    );

    let reply = app
        .attach(&id, &json!({"sourceType": "wallet", "fromAddress": "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96046", "fromChainId": "eight", "fromChainName": "EVM", "exchangeProvider": "coinbase", "refundAddress": VITALIK}))
        .await;
    reply.assert_error(422, "validation_failed");
    assert_eq!(
        violations(&reply),
        pairs(&[
            ("fromChainId", "pattern"),
            ("fromAddress", "invalid_address"),
            ("refundAddress", "not_allowed_for_source_type"),
            ("exchangeProvider", "not_allowed_for_source_type")
        ])
    );
    let message = reply.body["payload"]["errors"][1]["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("EVM"),
        "the message names the chain: {message}"
    );

    let reply = app
        .attach(
            &id,
            &json!({"sourceType": "card", "fromAddress": "x".repeat(256), "fromChainName": "DOGE"}),
        )
        .await;
    assert_eq!(
        violations(&reply),
        pairs(&[
            ("sourceType", "invalid_enum"),
            ("fromChainName", "invalid_enum"),
            ("fromAddress", "too_long")
        ])
    );
    let reply = app.attach(&id, &json!({"sourceType": "wallet", "fromAddress": "short", "fromChainId": " 1", "fromChainName": "SOL"})).await;
    assert_eq!(
        violations(&reply),
        pairs(&[("fromChainId", "pattern"), ("fromAddress", "pattern")])
    );
    assert_eq!(
        app.stored_flow(&id).await.execution_state.as_str(),
        "initiated",
        "refused attaches change nothing"
    );

    // Explicit nulls mean absent; unknown keys are ignored; lowercase EVM addresses are
    // accepted and stored checksummed.
    let body = json!({"sourceType": "wallet", "fromAddress": VITALIK.to_lowercase(), "fromChainId": "8453", "fromChainName": "EVM", "refundAddress": null, "somethingNew": 1});
    let reply = app.attach(&id, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let token = reply.body["sessionToken"].as_str().unwrap();
    assert!(token.starts_with("dft_") && token.len() == 47);
    assert_eq!(
        reply.body["sessionExpiresAt"],
        reply.body["flow"]["expiresAt"]
    );
    let flow = &reply.body["flow"];
    assert_eq!(
        (flow["executionState"].as_str(), flow["riskState"].as_str()),
        (Some("source_attached"), Some("cleared"))
    );
    assert_eq!(
        (flow["sourceType"].as_str(), flow["fromAddress"].as_str()),
        (Some("wallet"), Some(VITALIK))
    );
    assert_eq!(
        (flow["fromChainId"].as_str(), flow["fromChainName"].as_str()),
        (Some("8453"), Some("EVM"))
    );
    assert_eq!(
        app.event_types(&id).await,
        ["flow.execution.updated", "flow.risk.updated"]
    );
    let events = app.store.flow_events(id.parse().unwrap()).await.unwrap();
    let data = &events[0].payload["data"];
    assert_eq!(
        (data["previousState"].as_str(), data["newState"].as_str()),
        (Some("initiated"), Some("source_attached"))
    );
    assert_eq!(data["flow"]["id"], id.as_str());
    // Non-EVM chains have their own rules (see every_chain_family_has_its_address_rule).
    let sol = json!({"sourceType": "wallet", "fromAddress": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", "fromChainId": "mainnet-beta", "fromChainName": "SOL"});
    assert_eq!(app.attach(&id, &sol).await.status, 200);
}

async fn deposit_address_and_exchange_source_rules(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    let reply = app
        .attach(&id, &json!({"sourceType": "deposit_address"}))
        .await;
    assert_eq!(
        violations(&reply),
        pairs(&[("fromChainId", "required"), ("fromChainName", "required")])
    );
    let ok = json!({"sourceType": "deposit_address", "fromChainId": "8453", "fromChainName": "EVM", "refundAddress": VITALIK.to_lowercase()});
    let reply = app.attach(&id, &ok).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["flow"]["riskState"], "unknown");
    assert_eq!(reply.body["flow"]["refundAddress"], VITALIK);
    assert!(reply.body["flow"].get("fromAddress").is_none());

    let reply = app
        .attach(
            &id,
            &json!({"sourceType": "exchange", "fromChainId": "8453"}),
        )
        .await;
    assert_eq!(violations(&reply), pairs(&[("fromChainName", "required")]));
    let reply = app
        .attach(
            &id,
            &json!({"sourceType": "exchange", "fromChainName": "EVM", "refundAddress": VITALIK}),
        )
        .await;
    assert_eq!(
        violations(&reply),
        pairs(&[
            ("fromChainId", "required"),
            ("refundAddress", "not_allowed_for_source_type")
        ])
    );
    let reply = app
        .attach(
            &id,
            &json!({"sourceType": "exchange", "exchangeProvider": "binance"}),
        )
        .await;
    assert_eq!(
        violations(&reply),
        pairs(&[("exchangeProvider", "invalid_enum")])
    );
    let reply = app.attach(&id, &json!({"sourceType": "exchange"})).await;
    assert_eq!(
        reply.status, 200,
        "an exchange source needs no chain or provider: {}",
        reply.body
    );
    assert_eq!(reply.body["flow"]["sourceType"], "exchange");
    assert!(
        reply.body["flow"].get("refundAddress").is_none(),
        "fields of the previous source are cleared"
    );
}

async fn environment_restrictions_have_their_own_codes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    let reply = app
        .attach(
            &id,
            &json!({"sourceType": "exchange", "exchangeProvider": "coinbase"}),
        )
        .await;
    reply.assert_error(422, "exchange_not_configured");
    let reply = app
        .attach(
            &id,
            &json!({"sourceType": "exchange", "exchangeProvider": "kraken"}),
        )
        .await;
    let body = reply.assert_error(422, "exchange_not_configured");
    assert!(
        body["payload"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Kraken")
    );

    let mut env = app.store.environment(app.env_id).await.unwrap().unwrap();
    env.enabled_chains = Some(vec![sluice_domain::ChainName::Sol]);
    app.store.update_environment(&env).await.unwrap();
    // Each instance reuses an environment it read for `[cache] environment_ttl_ms` (1 s by
    // default): the change is not seen yet, and is seen once that time has passed.
    assert_eq!(app.attach(&id, &wallet_source()).await.status, 200);
    app.clock.advance_seconds(1);
    let reply = app.attach(&id, &wallet_source()).await;
    assert_eq!(
        violations(&reply),
        pairs(&[("fromChainName", "chain_not_enabled")])
    );
    reply.assert_error(422, "chain_not_enabled");
    // Mixed with another violation, the top-level code is validation_failed.
    let mut bad = wallet_source();
    bad["fromAddress"] = json!("nope");
    app.attach(&id, &bad)
        .await
        .assert_error(422, "validation_failed");
}

async fn unreadable_attach_bodies_are_400(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    let path = format!("/api/v0/sdk/{}/flow/{id}/source", app.env_id);
    for body in ["", "{\"sourceType\":", "\"wallet\"", "null"] {
        app.send(
            Method::POST,
            &path,
            &[("origin", ALLOWED_ORIGIN)],
            Some(body),
        )
        .await
        .assert_error(400, "invalid_request");
    }
    let reply = app
        .attach(&id, &json!({"sourceType": "wallet", "fromAddress": 42}))
        .await;
    assert!(
        reply.assert_error(400, "invalid_request")["error"]
            .as_str()
            .unwrap()
            .contains("fromAddress")
    );
    app.attach(&id, &json!({"sourceType": ["wallet"]}))
        .await
        .assert_error(400, "invalid_request");
    let huge = json!({"sourceType": "wallet", "pad": "x".repeat(65 * 1024)});
    app.attach(&id, &huge)
        .await
        .assert_error(413, "payload_too_large");
    assert_eq!(
        app.stored_flow(&id).await.execution_state.as_str(),
        "initiated"
    );
}

async fn validation_comes_before_the_flow_lookup(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let unknown = uuid::Uuid::new_v4().to_string();
    app.attach(&unknown, &json!({}))
        .await
        .assert_error(422, "validation_failed");
    app.attach(&unknown, &wallet_source())
        .await
        .assert_error(404, "flow_not_found");
    let (other_env, other_token) = app.other_environment().await;
    let auth = format!("Bearer {other_token}");
    let created = app
        .send(
            Method::POST,
            &format!("/api/v0/server/{other_env}/flow/payment"),
            &[("authorization", &auth)],
            Some(&flow_body().to_string()),
        )
        .await;
    let foreign = created.body["flow"]["id"].as_str().unwrap();
    app.attach(foreign, &wallet_source())
        .await
        .assert_error(404, "flow_not_found");
}

async fn screening_blocks_without_saving_anything(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    let token = app.attach_wallet(&id).await;
    let denied = "0x52908400098527886E0F7030069857D2E4169EE7"; // an EIP-55 example address
    app.store
        .set_denied(app.env_id, &denied.to_lowercase(), true)
        .await
        .unwrap();
    let mut blocked = wallet_source();
    blocked["fromAddress"] = json!(denied);
    let before = app.stored_flow(&id).await;
    let reply = app.attach(&id, &blocked).await;
    assert_eq!(
        reply.assert_error(403, "flow_source_blocked")["payload"]["reason"],
        "sanctions_blocked"
    );
    let after = app.stored_flow(&id).await;
    assert_eq!(after, before, "nothing is saved");
    assert_eq!(
        app.cancel_as_payer(&id, &token).await.status,
        200,
        "the previous token stays as it was"
    );

    let id = app.create_flow().await;
    let refund = json!({"sourceType": "deposit_address", "fromChainId": "1", "fromChainName": "EVM", "refundAddress": denied.to_lowercase()});
    app.attach(&id, &refund)
        .await
        .assert_error(403, "flow_source_blocked");
    // Screening comes after the state gate.
    let cancelled = app.create_flow().await;
    app.server(Method::POST, &format!("/flow/{cancelled}/cancel"), None)
        .await;
    app.attach(&cancelled, &blocked)
        .await
        .assert_error(409, "flow_invalid_transition");
}

/// Prepare (P6), the only route to `signing`, belongs to the EVM issue.
async fn force_signing(app: &TestApp, id: &str) {
    app.force(id, |f| {
        f.execution_state = sluice_domain::ExecutionState::Signing
    })
    .await;
}

async fn attach_state_gate_and_signing_needs_the_live_token(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    let first = app.attach_wallet(&id).await;
    force_signing(&app, &id).await;
    app.attach(&id, &wallet_source())
        .await
        .assert_error(401, "invalid_session_token");
    let stale = app
        .payer(
            Method::POST,
            &id,
            "/source",
            Some("dft_stale"),
            Some(&wallet_source()),
        )
        .await;
    stale.assert_error(401, "invalid_session_token");
    let reply = app
        .payer(
            Method::POST,
            &id,
            "/source",
            Some(&first),
            Some(&wallet_source()),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let second = reply.body["sessionToken"].as_str().unwrap().to_owned();
    // Outside signing a supplied token is ignored, even a dead one.
    let reply = app
        .payer(
            Method::POST,
            &id,
            "/source",
            Some(&first),
            Some(&wallet_source()),
        )
        .await;
    assert_eq!(reply.status, 200);
    app.cancel_as_payer(&id, &second)
        .await
        .assert_error(401, "invalid_session_token");
    let live = reply.body["sessionToken"].as_str().unwrap();
    assert_eq!(app.cancel_as_payer(&id, live).await.status, 200);
    let reply = app.attach(&id, &wallet_source()).await;
    let body = reply.assert_error(409, "flow_invalid_transition");
    assert_eq!(
        body["payload"],
        json!({"executionState": "cancelled", "settlementState": "none", "riskState": "cleared"})
    );

    let withdraw = app
        .server(Method::POST, "/flow/withdraw", Some(&flow_body()))
        .await;
    let withdraw = withdraw.body["flow"]["id"].as_str().unwrap();
    let reply = app.attach(withdraw, &wallet_source()).await;
    assert_eq!(
        reply.assert_error(409, "flow_invalid_transition")["payload"]["executionState"],
        "initiated"
    );
    assert_eq!(
        app.payer(Method::GET, withdraw, "", None, None)
            .await
            .status,
        200,
        "withdraw flows can be read"
    );

    let overdue = app.create_flow().await;
    app.clock.advance_seconds(3600);
    let reply = app.attach(&overdue, &wallet_source()).await;
    assert_eq!(
        reply.assert_error(409, "flow_invalid_transition")["payload"]["executionState"],
        "expired"
    );
}

async fn reattach_replaces_the_source_and_keeps_quote_version(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    let wallet = app.attach(&id, &wallet_source()).await;
    let old = wallet.body["sessionToken"].as_str().unwrap().to_owned();
    let reply = app.attach(&id, &json!({"sourceType": "deposit_address", "fromChainId": "8453", "fromChainName": "EVM"})).await;
    assert_eq!(reply.status, 200);
    let flow = &reply.body["flow"];
    assert_eq!(flow["riskState"], "unknown", "every attach recomputes risk");
    assert!(
        flow.get("fromAddress").is_none(),
        "the old source's address is gone"
    );
    assert_eq!(flow["quoteVersion"], 0);
    app.cancel_as_payer(&id, &old)
        .await
        .assert_error(401, "invalid_session_token");
    let new = reply.body["sessionToken"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(app.cancel_as_payer(&id, new).await.status, 200);
    let types: Vec<Value> = app
        .event_types(&id)
        .await
        .into_iter()
        .map(Value::from)
        .collect();
    assert_eq!(
        types,
        [
            "flow.execution.updated",
            "flow.risk.updated",
            "flow.risk.updated",
            "flow.execution.updated"
        ]
        .map(Value::from)
    );
}

/// One accepted and one rejected `fromAddress` per chain family, through the real endpoint;
/// the accepted one comes back in canonical form. Sources of the vectors: the domain crate's
/// address tests and docs/ADDRESSES.md; the Midnight one is bytes 1..=32 encoded with the
/// BIP-350 reference bech32m encoder under `mn_addr_preprod`.
async fn every_chain_family_has_its_address_rule(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.create_flow().await;
    let algo_zero = format!("{}Y5HFKQ", "A".repeat(52));
    let cases: Vec<(&str, &str, &str, &str)> = vec![
        (
            "EVM",
            "1",
            "0xd8da6bf26964af9d7eed9e03e53415d37aa96045",
            "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96046",
        ),
        (
            "ETH",
            "1",
            VITALIK,
            "0xD8dA6BF26964aF9D7eEd9e03E53415D37aA96045",
        ),
        (
            "TEMPO",
            "42431",
            VITALIK,
            "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA9604",
        ),
        (
            "SOL",
            "mainnet-beta",
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDtIv",
        ),
        (
            "ECLIPSE",
            "mainnet",
            "11111111111111111111111111111111",
            "1111111111111111111111111111111",
        ),
        (
            "BTC",
            "mainnet",
            "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp",
        ),
        (
            "TRON",
            "mainnet",
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u",
        ),
        (
            "COSMOS",
            "cosmoshub-4",
            "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu",
            "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xv",
        ),
        (
            "SUI",
            "mainnet",
            "0x00000000000000AB",
            "0x0000000000000000000000000000000000000000000000000000000000000000ab",
        ),
        (
            "APTOS",
            "1",
            "0x0000000000000000000000000000000000000000000000000000000000000001",
            "0x000000000000000g",
        ),
        (
            "STARK",
            "SN_MAIN",
            "0x049d36570d4e46f48e99674bd3fcc84644ddd6b96f7c741b1562b82f9e004dc7",
            "0x0800000000000000000000000000000000000000000000000000000000000000",
        ),
        (
            "FLOW",
            "mainnet",
            "0x1654653399040a61",
            "0x1654653399040a60",
        ),
        (
            "ALGO",
            "mainnet",
            algo_zero.as_str(),
            "VCMJKWOY5P5P7SKMZFFOCEROPJCZOTIJMNIYNUCKH7LRO45JMJP6UYBIJB",
        ),
        (
            "STELLAR",
            "pubnet",
            "GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN7",
            "GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN6",
        ),
        (
            "TON",
            "mainnet",
            "EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2N",
            "EQCD39VS5jcptHL8vMjEXrzGaRcCVYto7HUn4bpAOg8xqB2M",
        ),
        (
            "ALEO",
            "mainnet",
            "aleo1rhgdu77hgyqd3xjj8ucu3jj9r2krwz6mnzyd80gncr5fxcwlh5rsvzp9px",
            "aleo1rhgdu77hgyqd3xjj8ucu3jj9r2krwz6mnzyd80gncr5fxcwlh5rsvzp9pq",
        ),
        (
            "SPARK",
            "mainnet",
            "spark1pgssy7d7vel0nh9m4326qc54e6rskpczn07dktww9rv4nu5ptvt0s9uc489gg2",
            "spark1pgssy7d7vel0nh9m4326qc54e6rskpczn07dktww9rv4nu5ptvt0s9uc489gg3",
        ),
        (
            "MIDNIGHT",
            "preprod",
            "mn_addr_preprod1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqh5lzf8",
            "mn_addr_preprod1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqh5lzf9",
        ),
    ];
    for (chain, chain_id, valid, invalid) in cases {
        let body = json!({"sourceType": "wallet", "fromAddress": valid, "fromChainId": chain_id, "fromChainName": chain});
        let reply = app.attach(&id, &body).await;
        assert_eq!(reply.status, 200, "{chain} {valid}: {}", reply.body);
        let canonical = sluice_domain::address::parse(chain.parse().unwrap(), valid).unwrap();
        assert_eq!(
            reply.body["flow"]["fromAddress"],
            canonical.as_str(),
            "{chain} stores the canonical form"
        );
        let body = json!({"sourceType": "wallet", "fromAddress": invalid, "fromChainId": chain_id, "fromChainName": chain});
        let reply = app.attach(&id, &body).await;
        reply.assert_error(422, "validation_failed");
        let error = &reply.body["payload"]["errors"][0];
        assert_eq!(
            (error["field"].as_str(), error["code"].as_str()),
            (Some("fromAddress"), Some("invalid_address")),
            "{chain} {invalid}"
        );
        assert!(
            error["message"].as_str().unwrap().contains(chain),
            "the message names the chain: {}",
            error["message"]
        );
    }
}
