//! The OpenAPI 3.1 document, generated from the routes themselves.
//!
//! Every route is registered through `utoipa_axum::routes!`, which takes the path and method
//! from the handler's `#[utoipa::path]` attribute: a route cannot exist without its entry in
//! the document, nor the other way round. The committed `openapi.json` at the repository root
//! is this document pretty-printed; a test fails when it is stale.

pub mod params;
pub mod responses;
pub mod schemas;

use std::sync::OnceLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Name of the API-token scheme referenced by server routes.
pub const API_TOKEN: &str = "apiToken";
/// Name of the session-token scheme referenced by payer routes P5–P8.
pub const SESSION_TOKEN: &str = "sessionToken";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sluice Flow API",
        description = "Self-hosted crypto payment flows, wire-compatible with Dynamic's public Flow API. \
            Server routes take an API token (`Authorization: Bearer slc_…`); payer routes are \
            unauthenticated apart from the flow's session token on P5–P8. Errors are \
            `{error, code, payload?}` with the stable codes of docs/API.md.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "payer", description = "Routes the payer's browser calls, holding only the flow ID."),
        (name = "server", description = "Routes the merchant's backend calls with an API token."),
        (name = "webhooks", description = "Webhook endpoints and their deliveries."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    ),
    components(schemas(schemas::Error)),
)]
pub struct BaseDocument;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("slc_…")
                    .description(Some("An API token from `sluice token create`."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION_TOKEN,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                crate::http::payer::SESSION_TOKEN_HEADER,
                "The session token P4 returned for this flow.",
            ))),
        );
    }
}

/// The document as served and committed: pretty JSON with a trailing newline.
pub fn document_json() -> String {
    let mut json = crate::http::document()
        .to_pretty_json()
        .expect("an OpenAPI document always serialises");
    json.push('\n');
    json
}

/// `GET /api/v0/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/v0/openapi.json",
    tag = "operations",
    responses((status = 200, description = "This document.", content_type = "application/json")),
)]
pub async fn serve() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(document_json).as_str();
    ([(header::CONTENT_TYPE, "application/json")], json).into_response()
}
