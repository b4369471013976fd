//! S5 `POST /server/{environmentId}/payment-links`: a payment flow and the link a payer opens
//! to pay it. The link is the merchant's own page (`baseUrl`, whose origin must be one of the
//! environment's allowed origins) or Sluice's hosted page (`{public_url}/pay`), with a `flow`
//! query parameter added: base64url (no padding) of `{"environmentId", "flowId"}`. Like S1 it
//! honours `Idempotency-Key`: a retry with the same key and body gets the same link and flow.

use axum::extract::{OriginalUri, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use data_encoding::BASE64URL_NOPAD;
use serde::Serialize;
use serde_json::json;
use sluice_domain::create::parse_create;
use sluice_domain::request::{FieldError, Fields, parse_object};
use sluice_domain::{EnvironmentId, Flow, FlowId, FlowMode, Timestamp};
use utoipa::ToSchema;

use super::body::PendingBody;
use super::idempotency;
use super::server_auth::{authorize, parse_environment_id};
use crate::AppState;
use crate::error::ApiError;

/// S5 answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentLink {
    flow: Flow,
    payment_url: String,
}

/// The `flow` query parameter of a payment link.
pub fn link_parameter(env: EnvironmentId, flow: FlowId) -> String {
    let json = json!({"environmentId": env, "flowId": flow}).to_string();
    BASE64URL_NOPAD.encode(json.as_bytes())
}

/// Reads a `flow` parameter back; `None` for anything that is not one.
pub fn parse_link_parameter(text: &str) -> Option<(EnvironmentId, FlowId)> {
    let bytes = BASE64URL_NOPAD.decode(text.as_bytes()).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let env = value["environmentId"].as_str()?.parse().ok()?;
    let flow = value["flowId"].as_str()?.parse().ok()?;
    Some((env, flow))
}

fn base_url_error(message: &str) -> ApiError {
    ApiError::validation(vec![FieldError {
        field: "baseUrl".into(),
        code: "invalid_value",
        message: message.into(),
    }])
}

/// `baseUrl` checked against the environment's origins, or the hosted page.
fn page_url(
    app: &AppState,
    base: Option<&str>,
    origins: &[String],
) -> Result<reqwest::Url, ApiError> {
    let Some(base) = base else {
        let page = app
            .public_url
            .as_ref()
            .map(|u| u.pay_page())
            .ok_or_else(|| base_url_error("this server has no public URL; pass baseUrl"))?;
        return reqwest::Url::parse(&page).map_err(|e| ApiError::internal(&e));
    };
    let url = reqwest::Url::parse(base)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| base_url_error("must be an absolute http:// or https:// URL"))?;
    if !sluice_domain::origin::is_allowed(&url.origin().ascii_serialization(), origins) {
        return Err(base_url_error(
            "its origin is not one of the environment's allowed origins (sluice env add-origin)",
        ));
    }
    Ok(url)
}

#[utoipa::path(
    post,
    path = "/api/v0/server/{environmentId}/payment-links",
    tag = "server",
    summary = "S5: create a payment flow and its payment link",
    operation_id = "createPaymentLink",
    params(crate::http::openapi::params::EnvironmentPath, ("Idempotency-Key" = Option<String>, Header, description = "1–255 printable ASCII characters; the same key and body replay the stored answer (the same flow and link) for 24 h.")),
    request_body(content = crate::http::openapi::schemas::CreatePaymentLinkRequest, content_type = "application/json"),
    security(("apiToken" = [])),
    responses(
        crate::http::openapi::responses::ServerErrors,
        crate::http::openapi::responses::BodyErrors,
        (status = 201, description = "The new payment flow (server view) and the link to pay it.", body = PaymentLink),
        (status = 409, description = "`idempotency_key_in_use`: a request with this key is still running.", body = crate::http::openapi::schemas::Error),
        (status = 422, description = "`validation_failed`: a flow field, or `baseUrl` (not an http(s) URL, or its origin not allowed); or `idempotency_key_reused`.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn create(
    State(app): State<AppState>,
    Path(environment): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: PendingBody,
) -> Result<Response, ApiError> {
    let environment = parse_environment_id(&environment)?;
    authorize(&app, &headers, environment, "flow.write").await?;
    let body = body.read(&app).await?;
    let now = app.clock.now();
    let key = idempotency::key_from_headers(&headers, environment, uri.path())?;
    if let Some(key) = &key
        && let Some(replay) = idempotency::claim(&app, key, &body, now).await?
    {
        return Ok(replay);
    }
    let (flow, url) = match link(&app, environment, &body, now).await {
        Ok(created) => created,
        Err(refusal) => return idempotency::answer_refusal(&app, key, refusal, now).await,
    };
    let answer = PaymentLink {
        flow,
        payment_url: url.into(),
    };
    let body = serde_json::to_string(&answer).map_err(|e| ApiError::internal(&e))?;
    let created = idempotency::insert_created(&app, &answer.flow, key, body, now).await?;
    tracing::info!(flow.id = %answer.flow.id, env.id = %environment, "payment link created");
    Ok(created)
}

/// The flow a request describes and its link, or why the request is refused.
async fn link(
    app: &AppState,
    environment: EnvironmentId,
    body: &[u8],
    now: Timestamp,
) -> Result<(Flow, reqwest::Url), ApiError> {
    let mut map = parse_object(body, false)?;
    let base = Fields::root(&map).str("baseUrl")?.map(str::to_owned);
    map.remove("baseUrl");
    let env = app
        .store
        .environment(environment)
        .await?
        .ok_or_else(ApiError::flow_not_found)?;
    let flow_result = parse_create(&map, FlowMode::Payment, environment, now)
        .map(|flow| sluice_domain::memo::with_exact_memo(flow, body));
    let page = page_url(app, base.as_deref(), &env.allowed_origins);
    let (flow, mut url) = match (flow_result, page) {
        (Ok(flow), Ok(url)) => (flow, url),
        (Err(refusal), _) => return Err(refusal.into()),
        (Ok(_), Err(e)) => return Err(e),
    };
    url.query_pairs_mut()
        .append_pair("flow", &link_parameter(environment, flow.id));
    Ok((flow, url))
}
