//! S5 payment links on both backends: the hosted page by default, a merchant's `baseUrl` when
//! its origin is allowed (its query kept), a refused one changing nothing, and the `flow`
//! parameter that names the flow on the page.

mod common;

use common::*;
use data_encoding::BASE64URL_NOPAD;
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    payment_links_point_at_the_hosted_page_or_an_allowed_base_url,
    an_idempotency_key_creates_one_link,
    the_hosted_page_is_served_with_its_assets_and_strict_headers,
);

/// A query for every flow (the default query's limit is 0).
fn all_flows() -> sluice_store::FlowQuery {
    sluice_store::FlowQuery {
        limit: 1000,
        ..Default::default()
    }
}

async fn link(app: &TestApp, extra: Value) -> Reply {
    let mut body = flow_body();
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.server(Method::POST, "/payment-links", Some(&body))
        .await
}

/// The `flow` parameter of a link, decoded.
fn flow_parameter(url: &str) -> Value {
    let url = reqwest::Url::parse(url).unwrap();
    let (_, value) = url.query_pairs().find(|(k, _)| k == "flow").unwrap();
    serde_json::from_slice(&BASE64URL_NOPAD.decode(value.as_bytes()).unwrap()).unwrap()
}

async fn payment_links_point_at_the_hosted_page_or_an_allowed_base_url(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let hosted = link(&app, json!({})).await;
    assert_eq!(hosted.status, 201, "{}", hosted.body);
    let url = hosted.body["paymentUrl"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/pay?flow=", app.base)), "{url}");
    let id = hosted.body["flow"]["id"].as_str().unwrap();
    assert_eq!(hosted.body["flow"]["mode"], "payment");
    assert_eq!(
        flow_parameter(url),
        json!({"environmentId": app.env_id.to_string(), "flowId": id})
    );
    let raw = url.split("flow=").nth(1).unwrap();
    assert!(
        !raw.contains('=') && !raw.contains("%3D"),
        "base64url without padding: {url}"
    );
    assert_eq!(
        app.stored_flow(id).await.execution_state.as_str(),
        "initiated"
    );

    // The merchant's own page, on an allowed origin: its query is kept.
    let own = link(
        &app,
        json!({"baseUrl": "https://shop.example.com/checkout?order=42"}),
    )
    .await;
    assert_eq!(own.status, 201, "{}", own.body);
    let url = reqwest::Url::parse(own.body["paymentUrl"].as_str().unwrap()).unwrap();
    assert_eq!(url.path(), "/checkout");
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(pairs[0], ("order".into(), "42".into()));
    assert_eq!(
        flow_parameter(url.as_str())["flowId"],
        own.body["flow"]["id"]
    );

    // Refused: another origin, not a URL, not http(s). Nothing is created.
    let before = app
        .store
        .list_flows(app.env_id, &all_flows(), START)
        .await
        .unwrap()
        .len();
    for bad in [
        json!("https://evil.example.com/pay"),
        json!("/pay"),
        json!("ftp://shop.example.com/"),
    ] {
        let refused = link(&app, json!({"baseUrl": bad})).await;
        let body = refused.assert_error(422, "validation_failed");
        assert_eq!(body["payload"]["errors"][0]["field"], "baseUrl", "{body}");
    }
    // A wrong JSON type is a malformed request, as for every other field.
    for bad in [json!(7), json!(["https://shop.example.com/"]), json!({})] {
        let refused = link(&app, json!({"baseUrl": bad})).await;
        let body = refused.assert_error(400, "invalid_request");
        assert!(body.to_string().contains("baseUrl"), "{body}");
    }
    let flow_refused = link(&app, json!({"amount": "-1"})).await;
    flow_refused.assert_error(422, "validation_failed");
    let after = app
        .store
        .list_flows(app.env_id, &all_flows(), START)
        .await
        .unwrap()
        .len();
    assert_eq!(before, after, "a refused link creates no flow");

    // Auth as S1: no token, or a token without flow.write.
    let anonymous = app
        .http
        .post(format!(
            "{}/api/v0/server/{}/payment-links",
            app.base, app.env_id
        ))
        .json(&flow_body())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// S5 honours `Idempotency-Key` as S1 does: the same key and body replay the answer (one
/// flow), another body under the key is refused, a refusal is replayed too.
async fn an_idempotency_key_creates_one_link(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let path = format!("/api/v0/server/{}/payment-links", app.env_id);
    let auth = format!("Bearer {}", app.api_token);
    let send = |key: &'static str, body: Value| {
        let (path, auth) = (path.clone(), auth.clone());
        let app = &app;
        async move {
            let headers = [
                ("authorization", auth.as_str()),
                ("idempotency-key", key),
                ("content-type", "application/json"),
            ];
            app.send(Method::POST, &path, &headers, Some(&body.to_string()))
                .await
        }
    };
    let first = send("order-42", flow_body()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = send("order-42", flow_body()).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body, "the same flow and link");
    let flows = app
        .store
        .list_flows(app.env_id, &all_flows(), START)
        .await
        .unwrap();
    assert_eq!(flows.len(), 1);
    let mut other = flow_body();
    other["amount"] = json!("26.00");
    send("order-42", other)
        .await
        .assert_error(422, "idempotency_key_reused");
    let bad = json!({"baseUrl": "https://evil.example.com/"});
    let mut refused_body = flow_body();
    refused_body["baseUrl"] = bad["baseUrl"].clone();
    let refused = send("order-43", refused_body.clone()).await;
    refused.assert_error(422, "validation_failed");
    let replayed = send("order-43", refused_body).await;
    assert_eq!(
        (replayed.status, replayed.body),
        (refused.status, refused.body)
    );
    // S1 and S5 keys are separate: the same key on S1 creates its own flow.
    let s1 = format!("/api/v0/server/{}/flow/payment", app.env_id);
    let headers = [
        ("authorization", auth.as_str()),
        ("idempotency-key", "order-42"),
        ("content-type", "application/json"),
    ];
    let created = app
        .send(Method::POST, &s1, &headers, Some(&flow_body().to_string()))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let flows = app
        .store
        .list_flows(app.env_id, &all_flows(), START)
        .await
        .unwrap();
    assert_eq!(flows.len(), 2);
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap()
}

fn assert_secured(response: &reqwest::Response) {
    let h = response.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
}

/// `GET /pay` for a real link, its embedded assets, the QR endpoint, and readable 404 pages
/// for links that name no flow of their environment.
async fn the_hosted_page_is_served_with_its_assets_and_strict_headers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let mut env = app.store.environment(app.env_id).await.unwrap().unwrap();
    env.display_name = Some("Tom & Jerry's \"<b>\"".into());
    app.store.update_environment(&env).await.unwrap();
    let created = link(&app, json!({})).await;
    let url = created.body["paymentUrl"].as_str().unwrap();
    let page = app.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_secured(&page);
    let html = page.text().await.unwrap();
    for key in ["payWallet", "payAddress", "payExchange", "copyAddress"] {
        assert!(html.contains(&format!("data-i18n=\"{key}\"")), "{key}");
    }
    assert!(html.contains("role=\"status\""));
    assert!(html.contains("src=\"pay/pay.js\""));
    assert!(html.contains("href=\"pay/favicon.svg\""));
    assert!(
        html.contains(r#"data-merchant="Tom &amp; Jerry&#39;s &quot;&lt;b&gt;&quot;""#),
        "the merchant's name, escaped: {html}"
    );
    assert!(html.contains("data-networks=\"{"), "{html}");
    // The button names other tools drive the page by are the script's English texts.
    let script = get(&app, "/pay/pay.js").await.text().await.unwrap();
    for name in [
        "Pay with wallet",
        "Pay to an address",
        "Pay with Coinbase",
        "Copy address",
    ] {
        assert!(script.contains(&format!("\"{name}\"")), "{name}");
    }
    for (path, kind) in [
        ("/pay/pay.js", "text/javascript"),
        ("/pay/pay.css", "text/css"),
        ("/pay/favicon.svg", "image/svg+xml"),
        ("/favicon.ico", "image/svg+xml"),
    ] {
        let asset = get(&app, path).await;
        assert_eq!(asset.status(), 200, "{path}");
        assert!(
            asset.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert_secured(&asset);
    }
    let uri = "ethereum:0x9858EfFD232B4033E47d90003D41EC34EcaEda94@8453?value=1";
    let qr = get(
        &app,
        &format!(
            "/pay/qr.svg?data={}",
            uri.replace(':', "%3A")
                .replace('@', "%40")
                .replace('?', "%3F")
                .replace('=', "%3D")
        ),
    )
    .await;
    assert_eq!(qr.status(), 200);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(qr.text().await.unwrap().contains("<svg"));
    assert_eq!(
        get(&app, "/pay/qr.svg?data=https%3A%2F%2Fevil.example")
            .await
            .status(),
        400
    );
    let missing = get(&app, "/pay/qr.svg").await;
    assert_eq!(missing.status(), 400);
    assert_secured(&missing);

    // Unknown, foreign, malformed or missing: a page that says so, with status 404.
    let (other_env, _) = app.other_environment().await;
    let id = created.body["flow"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let foreign = sluice_server::http::payment_links::link_parameter(other_env, id);
    let unknown = sluice_server::http::payment_links::link_parameter(
        app.env_id,
        sluice_domain::FlowId::new_random(),
    );
    for query in [
        format!("?flow={foreign}"),
        format!("?flow={unknown}"),
        "?flow=not-base64!".into(),
        String::new(),
    ] {
        let page = get(&app, &format!("/pay{query}")).await;
        assert_eq!(page.status(), 404, "{query}");
        assert_secured(&page);
        let html = page.text().await.unwrap();
        assert!(html.contains("Payment not found"), "{query}: {html}");
        assert!(
            !html.contains("pay.js"),
            "the not-found page runs no script"
        );
        assert!(
            html.contains("href=\"pay/pay.css\""),
            "styled like the page"
        );
    }
}

/// The page's own origin may call the payer routes of any environment; other origins still
/// need to be allowed. Framing is refused unless `[payment_page] frame_ancestors` lists the
/// framing origins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_origin_is_allowed_and_framing_is_opt_in() {
    let mut config = sluice_server::config::Config::parse(
        "[payment_page]\nframe_ancestors = [\"https://shop.example.com\"]\n",
    )
    .unwrap();
    config.rate_limit.enabled = false;
    let Some(app) = TestApp::spawn_with(Backend::Sqlite, config).await else {
        return;
    };
    let flow = app.create_flow().await;
    let url = format!("{}/api/v0/sdk/{}/flow/{flow}", app.base, app.env_id);
    // TestApp's environment allows http://localhost:* and the shop; the page is on 127.0.0.1.
    let own = app
        .http
        .get(&url)
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    let other = app
        .http
        .get(&url)
        .header("origin", "http://127.0.0.2:1")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);

    let page = get(&app, "/pay/pay.css").await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.ends_with("frame-ancestors https://shop.example.com"),
        "{csp}"
    );
    assert!(page.headers().get("x-frame-options").is_none());
    assert!(
        sluice_server::config::Config::parse("[payment_page]\nframe_ancestors = [\"shop\"]\n")
            .is_err()
    );
}
