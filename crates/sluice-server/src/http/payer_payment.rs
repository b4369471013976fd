//! The payer's payment routes P5–P7, on the session token. Each follows the spec's order:
//! the token (401) before the body (400/422) before anything about the flow, then the
//! state-dependent checks, the chain work, and one guarded write through the lifecycle.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use sluice_chain::bitcoin::BitcoinNetwork;
use sluice_domain::deposit_key::{
    ChainFamily as KeyFamily, ExtendedPublicKey, Network as KeyNetwork,
};
use sluice_domain::flow::Source;
use sluice_domain::payment_requests::{WalletHash, parse_broadcast, parse_prepare, parse_quote};
use sluice_domain::request::parse_object;
use sluice_domain::transitions::{self, authorize_session};
use sluice_domain::{ChainName, Flow, SourceType, TokenHash};

use super::body::PendingBody;
use super::payer::{PayerContext, presented_token};
use crate::chains::ChainRuntime;
use crate::error::{ApiError, ErrorCode};
use crate::payments::{self, quoting, signing};
use crate::{AppState, lifecycle};

/// Loads the flow for a token route and checks the token: an unknown flow, a wrong token and
/// a dead one are all the same 401.
async fn authorized(
    app: &AppState,
    ctx: &PayerContext,
    headers: &HeaderMap,
) -> Result<(Flow, TokenHash), ApiError> {
    let token = presented_token(headers).ok_or_else(ApiError::invalid_session_token)?;
    let flow = app.store.flow(ctx.environment.id, ctx.flow_id).await?;
    authorize_session(flow.as_ref(), &token, app.clock.now())?;
    Ok((flow.expect("authorized"), token))
}

/// P5 `POST …/quote`.
#[utoipa::path(
    post,
    path = "/api/v0/sdk/{environmentId}/flow/{flowId}/quote",
    tag = "payer",
    summary = "P5: quote the payment",
    operation_id = "quote",
    params(crate::http::openapi::params::FlowPath),
    request_body(content = crate::http::openapi::schemas::QuoteRequest, content_type = "application/json"),
    security(("sessionToken" = [])),
    responses(
        crate::http::openapi::responses::PayerErrors,
        crate::http::openapi::responses::BodyErrors,
        (status = 200, description = "The flow with a fresh `quote`; `quoteVersion` grew by one.", body = sluice_domain::Flow),
        (status = 401, description = "`invalid_session_token`: no session token, or not the flow's live one.", body = crate::http::openapi::schemas::Error),
        (status = 409, description = "`flow_invalid_transition`: the flow's state does not allow this; `payload` holds its three states.", body = crate::http::openapi::schemas::Error),
        (status = 422, description = "`validation_failed`, `chain_not_configured`, `swaps_disabled` or `no_route` (`payload.quoteFailures`).", body = crate::http::openapi::schemas::Error),
        (status = 502, description = "`chain_unavailable`: the chain's RPC or the price feed did not answer; the flow is unchanged.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn quote(
    State(app): State<AppState>,
    Extension(ctx): Extension<PayerContext>,
    headers: HeaderMap,
    body: PendingBody,
) -> Result<Json<Flow>, ApiError> {
    let (flow, token) = authorized(&app, &ctx, &headers).await?;
    let body = body.read(&app).await?;
    let request = parse_quote(&parse_object(&body, true)?, flow.mode)?;
    let now = app.clock.now();
    transitions::check_quote(Some(&flow), &token, now)?;
    let mut plan = quoting::plan(&app.payments(), &flow, &request, now).await?;
    if flow
        .source
        .as_ref()
        .is_some_and(Source::pays_to_deposit_address)
    {
        // The payer sends to the flow's own address (allocated at the first quote, then
        // kept), which belongs to the merchant's wallet.
        let chain = app
            .chains
            .get(plan.to_chain_name, &plan.to_chain_id)
            .filter(|c| c.watches_token(&plan.to_token))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ChainNotConfigured,
                    format!(
                        "Deposits of token {} on chain {} would not be seen: the server's configuration does not list that token under the chain.",
                        plan.to_token, plan.to_chain_id
                    ),
                )
            })?;
        super::payer_exchanges::check_reachable(&flow, &plan)?;
        if flow.deposit_address.is_none() {
            deposit_key_fits(&app, ctx.environment.id, &chain).await?;
        }
        let with_address = lifecycle::assign_deposit_address(
            app.store.as_ref(),
            ctx.environment.id,
            ctx.flow_id,
            plan.to_chain_name,
            now,
        )
        .await??;
        plan.to_address = with_address
            .deposit_address
            .expect("an assigned flow has a deposit address");
        plan.exchange_url =
            super::payer_exchanges::purchase_link(&app, &ctx, &flow, &plan, &plan.to_address)
                .await?;
    }
    let quoted = lifecycle::quote(
        app.store.as_ref(),
        ctx.environment.id,
        ctx.flow_id,
        token,
        plan,
        now,
    )
    .await??;
    tracing::info!(flow.id = %quoted.id, quote.version = quoted.quote_version, "quoted");
    Ok(Json(quoted.payer_view()))
}

/// P6 `POST …/prepare`.
#[utoipa::path(
    post,
    path = "/api/v0/sdk/{environmentId}/flow/{flowId}/prepare",
    tag = "payer",
    summary = "P6: prepare the unsigned transaction",
    operation_id = "prepare",
    params(crate::http::openapi::params::FlowPath),
    request_body(content = crate::http::openapi::schemas::PrepareRequest, content_type = "application/json"),
    security(("sessionToken" = [])),
    responses(
        crate::http::openapi::responses::PayerErrors,
        crate::http::openapi::responses::BodyErrors,
        (status = 200, description = "The flow in `signing` with `quote.signingPayload`.", body = sluice_domain::Flow),
        (status = 401, description = "`invalid_session_token`: no session token, or not the flow's live one.", body = crate::http::openapi::schemas::Error),
        (status = 409, description = "`flow_invalid_transition`, `quote_expired` or `risk_not_cleared`.", body = crate::http::openapi::schemas::Error),
        (status = 422, description = "`validation_failed`, `chain_not_configured` or `insufficient_balance`.", body = crate::http::openapi::schemas::Error),
        (status = 502, description = "`chain_unavailable`: the chain's RPC did not answer; the flow is unchanged.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn prepare(
    State(app): State<AppState>,
    Extension(ctx): Extension<PayerContext>,
    headers: HeaderMap,
    body: PendingBody,
) -> Result<Json<Flow>, ApiError> {
    let (flow, token) = authorized(&app, &ctx, &headers).await?;
    let body = body.read(&app).await?;
    let request = parse_prepare(&parse_object(&body, true)?)?;
    let now = app.clock.now();
    transitions::check_prepare(Some(&flow), &token, now).map_err(|rejection| {
        let wallet = flow.source.as_ref().is_some_and(|s| s.source_type == SourceType::Wallet);
        match ApiError::from(rejection) {
            e if !wallet && e.code == ErrorCode::FlowInvalidTransition => ApiError {
                message: "Only wallet sources sign a transaction; deposit-address and exchange payers send funds to the flow's deposit address.".into(),
                ..e
            },
            e => e,
        }
    })?;
    let chain_id = flow.to_chain_id.clone().unwrap_or_default();
    let chain_name = flow.to_chain_name.unwrap_or(ChainName::Evm);
    let chain = app.chains.get(chain_name, &chain_id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::ChainNotConfigured,
            format!("No RPC endpoint is configured for {chain_name} chain {chain_id}."),
        )
    })?;
    payments::usable(&chain, now).await?;
    let payload = signing::build(&chain, &flow, request).await?;
    let prepared = lifecycle::prepare(
        app.store.as_ref(),
        ctx.environment.id,
        ctx.flow_id,
        token,
        flow.quote_version,
        payload,
        now,
    )
    .await??;
    tracing::info!(flow.id = %prepared.id, "signing payload prepared");
    Ok(Json(prepared.payer_view()))
}

/// A Bitcoin deposit key of another network than the chain's would hand out addresses that
/// the chain's wallets refuse and its scan never matches (a `tpub` on mainnet): refused
/// before an address is allocated.
async fn deposit_key_fits(
    app: &AppState,
    env: sluice_domain::EnvironmentId,
    chain: &ChainRuntime,
) -> Result<(), ApiError> {
    let Some(network) = chain.config.network.filter(|_| chain.config.is_bitcoin()) else {
        return Ok(());
    };
    let keys = app.store.deposit_keys(env).await?;
    let key = keys.iter().find(|k| k.family == KeyFamily::Btc);
    let key_network = key
        .and_then(|k| ExtendedPublicKey::parse(&k.xpub).ok())
        .map(|k| k.network());
    let fits = match key_network {
        None => true, // no key: allocation answers that itself
        Some(KeyNetwork::Main) => network == BitcoinNetwork::Bitcoin,
        Some(KeyNetwork::Test) => network != BitcoinNetwork::Bitcoin,
    };
    if fits {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::ChainNotConfigured,
        format!(
            "The environment's BTC deposit key belongs to another network than chain {} ({}); set a key of that network with `sluice env set-deposit-key`.",
            chain.config.chain_id,
            network.as_str()
        ),
    ))
}

/// P7 `POST …/broadcast`.
#[utoipa::path(
    post,
    path = "/api/v0/sdk/{environmentId}/flow/{flowId}/broadcast",
    tag = "payer",
    summary = "P7: report the broadcast transaction",
    operation_id = "broadcast",
    params(crate::http::openapi::params::FlowPath),
    request_body(content = crate::http::openapi::schemas::BroadcastRequest, content_type = "application/json"),
    security(("sessionToken" = [])),
    responses(
        crate::http::openapi::responses::PayerErrors,
        crate::http::openapi::responses::BodyErrors,
        (status = 200, description = "The flow in `broadcasted`; Sluice now watches the chain.", body = sluice_domain::Flow),
        (status = 401, description = "`invalid_session_token`: no session token, or not the flow's live one.", body = crate::http::openapi::schemas::Error),
        (status = 409, description = "`flow_invalid_transition`: the flow's state does not allow this; `payload` holds its three states.", body = crate::http::openapi::schemas::Error),
        (status = 422, description = "`validation_failed`: `payload.errors` names every bad field.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn broadcast(
    State(app): State<AppState>,
    Extension(ctx): Extension<PayerContext>,
    headers: HeaderMap,
    body: PendingBody,
) -> Result<Json<Flow>, ApiError> {
    let (flow, token) = authorized(&app, &ctx, &headers).await?;
    let body = body.read(&app).await?;
    let wallet = flow
        .source
        .as_ref()
        .is_some_and(|s| s.source_type == SourceType::Wallet);
    let form = match flow.source.as_ref().and_then(|s| s.from_chain_name) {
        _ if !wallet => WalletHash::Any,
        Some(ChainName::Btc) => WalletHash::Bitcoin,
        Some(ChainName::Tron) => WalletHash::Tron,
        Some(ChainName::Sol) => WalletHash::Solana,
        Some(c) if !c.is_evm_family() => WalletHash::Any,
        _ => WalletHash::Evm,
    };
    let tx_hash = parse_broadcast(&parse_object(&body, true)?, form)?;
    let now = app.clock.now();
    let broadcasted = lifecycle::broadcast(
        app.store.as_ref(),
        ctx.environment.id,
        ctx.flow_id,
        token,
        tx_hash,
        now,
    )
    .await??;
    tracing::info!(flow.id = %broadcasted.id, tx.hash = broadcasted.tx_hash.as_deref().unwrap_or(""), "broadcast recorded");
    Ok(Json(broadcasted.payer_view()))
}
