//! The hosted payment page (`GET /pay?flow=…`) and its assets, all embedded in the binary: no
//! CDN, no third-party request, works offline. The page talks to the payer routes only. A link
//! whose `flow` parameter is missing, malformed, or names a flow its environment does not have
//! gets a readable "not found" page (404), never a blank one.
//!
//! Every answer carries a strict Content-Security-Policy (`default-src 'self'`; no inline
//! script or style), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and no
//! framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`) unless the configuration lists
//! the origins that may frame it (`[payment_page] frame_ancestors`).
//!
//! What the page shows that no payer route answers (the merchant's display name, the names of
//! the configured networks) is written into the page itself as `data-` attributes of `<main>`,
//! not added to the spec'd SDK answers, and read by `pay.js` (no inline script is needed).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::http::payment_links::parse_link_parameter;
use crate::http::query::SingleQuery;

const INDEX: &str = include_str!("../../assets/pay/index.html");
const SCRIPT: &str = include_str!("../../assets/pay/pay.js");
const TEXT: &str = include_str!("../../assets/pay/text.js");
const SOLANA: &str = include_str!("../../assets/pay/solana.js");
/// Every text of the page, per language: the one table, kept as JSON so it can be checked.
const STRINGS: &str = include_str!("../../assets/pay/strings.json");
const STYLE: &str = include_str!("../../assets/pay/pay.css");
/// Served so that browsers asking for an icon get one, not a 404 in the console.
const ICON: &str = include_str!("../../assets/pay/favicon.svg");
/// The longest payment URI the QR endpoint encodes (an EIP-681 ERC-20 request is ~200).
const QR_MAX: usize = 512;

const CSP: &str = "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pay", get(page))
        .route("/pay/pay.js", get(script))
        .route("/pay/pay.css", get(style))
        .route("/pay/qr.svg", get(qr))
        .route("/pay/favicon.svg", get(icon))
        .route("/favicon.ico", get(icon))
}

fn secured(
    app: &AppState,
    status: StatusCode,
    content_type: &'static str,
    body: String,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let ancestors = &app.config.payment_page.frame_ancestors;
    let framing = if ancestors.is_empty() {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        "'none'".to_owned()
    } else {
        ancestors.join(" ")
    };
    if let Ok(policy) = HeaderValue::from_str(&format!("{CSP}; frame-ancestors {framing}")) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    let set = [
        (header::CONTENT_TYPE, content_type),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// `/pay/pay.js` as served: the texts (with their table written in), the Solana wallets and
/// the checkout in one closure, so a merchant's page embedding it loads one script and gains
/// no global name.
static SERVED_SCRIPT: LazyLock<String> = LazyLock::new(|| {
    let text = TEXT.replace("/* strings.json */ {}", STRINGS.trim());
    format!("\"use strict\";\n(() => {{\n{text}\n{SOLANA}\n{SCRIPT}\n}})();\n")
});

async fn script(State(app): State<AppState>) -> Response {
    secured(
        &app,
        StatusCode::OK,
        "text/javascript; charset=utf-8",
        SERVED_SCRIPT.clone(),
    )
}

async fn style(State(app): State<AppState>) -> Response {
    secured(
        &app,
        StatusCode::OK,
        "text/css; charset=utf-8",
        STYLE.to_owned(),
    )
}

async fn icon(State(app): State<AppState>) -> Response {
    secured(&app, StatusCode::OK, "image/svg+xml", ICON.to_owned())
}

/// Relative asset paths resolve against `/pay`, so the page works under a path prefix.
fn with_asset_paths(html: &str) -> String {
    html.replace("href=\"pay.css\"", "href=\"pay/pay.css\"")
        .replace("href=\"favicon.svg\"", "href=\"pay/favicon.svg\"")
        .replace("src=\"pay.js\"", "src=\"pay/pay.js\"")
}

/// Text made safe inside a double-quoted HTML attribute.
fn attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The page's `<main>` with what `pay.js` shows beside the flow: the merchant's display name
/// (absent: a neutral heading) and each configured chain's network name, by chain key (the
/// chain ID; `BTC:<chain ID>` for Bitcoin, as `text.js` looks it up).
fn with_page_data(app: &AppState, html: &str, merchant: Option<&str>) -> String {
    let networks: BTreeMap<String, String> = app
        .config
        .chains
        .iter()
        .map(|c| (c.key(), c.display_name()))
        .collect();
    let networks = serde_json::to_string(&networks).unwrap_or_else(|_| "{}".into());
    let mut data = format!(" data-networks=\"{}\"", attribute(&networks));
    if let Some(name) = merchant {
        data.push_str(&format!(" data-merchant=\"{}\"", attribute(name)));
    }
    html.replace(
        "<main id=\"checkout\" aria-labelledby=\"title\">",
        &format!("<main id=\"checkout\" aria-labelledby=\"title\"{data}>"),
    )
}

fn not_found(app: &AppState, message: &str) -> Response {
    let body = INDEX
        .replace("<title>Pay</title>", "<title>Payment not found</title>")
        .replace(
            "<p id=\"loading\">Loading the payment…</p>",
            &format!("<p id=\"loading\">{message}</p>"),
        )
        .replace("<script src=\"pay.js\" defer></script>\n", "");
    let body = with_asset_paths(&body);
    secured(app, StatusCode::NOT_FOUND, "text/html; charset=utf-8", body)
}

async fn page(State(app): State<AppState>, uri: Uri) -> Response {
    // A repeated `flow` names no one flow: the page says the link is not valid.
    let query = SingleQuery::parse(uri.query().unwrap_or_default()).unwrap_or_default();
    let Some((env, id)) = query.get("flow").and_then(parse_link_parameter) else {
        return not_found(
            &app,
            "Payment not found: this payment link is not valid. Ask the merchant for a new one.",
        );
    };
    let environment = match app.store.flow(env, id).await {
        Ok(Some(_)) => app
            .environments
            .get(app.store.as_ref(), env, app.clock.now())
            .await
            .map(|found| found.and_then(|e| e.display_name.clone())),
        Ok(None) => {
            return not_found(
                &app,
                "Payment not found. Check the link, or ask the merchant for a new one.",
            );
        }
        Err(e) => Err(e),
    };
    let merchant = match environment {
        Ok(name) => name,
        Err(e) => {
            tracing::error!(error = %e, "payment page: the flow or its environment could not be read");
            return secured(
                &app,
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain; charset=utf-8",
                "Try again in a moment.".into(),
            );
        }
    };
    let body = with_page_data(&app, &with_asset_paths(INDEX), merchant.as_deref());
    secured(&app, StatusCode::OK, "text/html; charset=utf-8", body)
}

/// A QR code of a payment URI, as SVG. Only payment URIs (EIP-681 `ethereum:`, BIP-21
/// `bitcoin:`) and TRON addresses (TRON has no payment URI) are encoded, so this is no
/// general-purpose QR service.
async fn qr(State(app): State<AppState>, uri: Uri) -> Response {
    let query = match SingleQuery::parse(uri.query().unwrap_or_default()) {
        Ok(query) => query,
        Err(e) => return e.into_response(),
    };
    let data = query.get("data").unwrap_or_default().to_owned();
    let payment_uri = data.starts_with("ethereum:")
        || data.starts_with("bitcoin:")
        || sluice_chain::tron::TronAddress::parse(&data).is_some();
    if !payment_uri || data.len() > QR_MAX {
        return secured(
            &app,
            StatusCode::BAD_REQUEST,
            "text/plain; charset=utf-8",
            "not a payment URI".into(),
        );
    }
    let Ok(code) = qrcode::QrCode::new(data.as_bytes()) else {
        return secured(
            &app,
            StatusCode::BAD_REQUEST,
            "text/plain; charset=utf-8",
            "too long for a QR code".into(),
        );
    };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    secured(&app, StatusCode::OK, "image/svg+xml", svg)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn every_language_has_every_text_with_the_same_placeholders() {
        let table: BTreeMap<String, BTreeMap<String, String>> =
            serde_json::from_str(STRINGS).expect("strings.json is a table of tables");
        let english = &table["en"];
        assert!(table.len() >= 2, "English and at least one more language");
        for (lang, texts) in &table {
            let keys: BTreeSet<_> = texts.keys().collect();
            assert_eq!(
                keys,
                english.keys().collect(),
                "{lang}: the same keys as en"
            );
            for (key, text) in texts {
                assert_eq!(
                    placeholders(text),
                    placeholders(&english[key]),
                    "{lang}.{key}"
                );
            }
        }
        assert!(SERVED_SCRIPT.contains("\"Zahlung an {merchant}\""));
        assert!(!SERVED_SCRIPT.contains("/* strings.json */"));
    }

    #[test]
    fn page_data_is_escaped_into_attributes() {
        assert_eq!(
            attribute(r#"Tom & Jerry's "<b>""#),
            "Tom &amp; Jerry&#39;s &quot;&lt;b&gt;&quot;"
        );
    }
}
