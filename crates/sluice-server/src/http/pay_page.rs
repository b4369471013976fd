//! The hosted payment page (`GET /pay?flow=…`) and its assets, all embedded in the binary: no
//! CDN, no third-party request, works offline. The page talks to the payer routes only. A link
//! whose `flow` parameter is missing, malformed, or names a flow its environment does not have
//! gets a readable "not found" page (404), never a blank one.
//!
//! Every answer carries a strict Content-Security-Policy (`default-src 'self'`; no inline
//! script or style), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` and no
//! framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`) unless the configuration lists
//! the origins that may frame it (`[payment_page] frame_ancestors`).

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
const STYLE: &str = include_str!("../../assets/pay/pay.css");
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

async fn script(State(app): State<AppState>) -> Response {
    secured(
        &app,
        StatusCode::OK,
        "text/javascript; charset=utf-8",
        SCRIPT.to_owned(),
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

fn not_found(app: &AppState, message: &str) -> Response {
    let body = INDEX
        .replace("<title>Pay</title>", "<title>Payment not found</title>")
        .replace(
            "<p id=\"loading\">Loading the payment…</p>",
            &format!("<p id=\"loading\">{message}</p>"),
        )
        .replace("<script src=\"pay.js\" defer></script>\n", "")
        .replace("href=\"pay.css\"", "href=\"pay/pay.css\"");
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
    match app.store.flow(env, id).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return not_found(
                &app,
                "Payment not found. Check the link, or ask the merchant for a new one.",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "payment page: the flow could not be read");
            return secured(
                &app,
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain; charset=utf-8",
                "Try again in a moment.".into(),
            );
        }
    }
    // Relative asset paths resolve against /pay, so the page works under a path prefix.
    let body = INDEX
        .replace("href=\"pay.css\"", "href=\"pay/pay.css\"")
        .replace("src=\"pay.js\"", "src=\"pay/pay.js\"");
    secured(&app, StatusCode::OK, "text/html; charset=utf-8", body)
}

/// A QR code of a payment URI, as SVG. Only payment URIs (EIP-681 `ethereum:`, BIP-21
/// `bitcoin:`) are encoded, so this is no general-purpose QR service.
async fn qr(State(app): State<AppState>, uri: Uri) -> Response {
    let query = match SingleQuery::parse(uri.query().unwrap_or_default()) {
        Ok(query) => query,
        Err(e) => return e.into_response(),
    };
    let data = query.get("data").unwrap_or_default().to_owned();
    let payment_uri = data.starts_with("ethereum:") || data.starts_with("bitcoin:");
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
