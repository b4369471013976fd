//! P2 `GET …/exchanges`: the exchanges a payer can buy through for this flow. An exchange is
//! listed when this server holds its API key for the environment (loaded at start) and the
//! flow can be paid by deposit on an EVM chain (the purchase is sent to the flow's deposit
//! address; Bitcoin purchases are not offered).

use axum::Json;
use axum::extract::{Extension, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::payer::PayerContext;
use super::payer_options::depositable;
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::payments::exchanges::coinbase::{Purchase, network_name};
use crate::payments::exchanges::label;
use sluice_domain::attach::ExchangeProvider;

/// P2 answer.
#[derive(Serialize, ToSchema)]
pub struct ExchangeList {
    exchanges: Vec<ExchangeOption>,
}

#[derive(Serialize, ToSchema)]
pub struct ExchangeOption {
    /// What `exchangeSource.exchangeId` holds (the same as `key`).
    id: &'static str,
    /// What attach takes as `exchangeProvider`.
    key: &'static str,
    label: &'static str,
}

#[utoipa::path(
    get,
    path = "/api/v0/sdk/{environmentId}/flow/{flowId}/exchanges",
    tag = "payer",
    summary = "P2: exchanges a payer can buy through",
    operation_id = "exchanges",
    params(crate::http::openapi::params::FlowPath),
    responses(
        crate::http::openapi::responses::PayerErrors,
        (status = 200, description = "The exchanges configured for this environment, if the flow can be paid by deposit.", body = ExchangeList),
    ),
)]
pub async fn exchanges(
    State(app): State<AppState>,
    Extension(ctx): Extension<PayerContext>,
) -> Result<Json<ExchangeList>, ApiError> {
    // Purchases are sent to EVM chains only (Coinbase Onramp's networks as configured).
    let payable_by_deposit = depositable(&app, &ctx)
        .await?
        .iter()
        .any(|o| o.chain_name.is_evm_family());
    let exchanges = if payable_by_deposit {
        app.exchanges
            .configured(ctx.environment.id)
            .into_iter()
            .map(|p| ExchangeOption {
                id: p.as_str(),
                key: p.as_str(),
                label: label(p),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Json(ExchangeList { exchanges }))
}

/// Refuses an exchange purchase on a chain exchanges do not send to, before the quote hands
/// out a deposit address for it.
pub(crate) fn check_reachable(
    flow: &sluice_domain::Flow,
    plan: &sluice_domain::transitions::QuotePlan,
) -> Result<(), ApiError> {
    if flow.exchange_source.is_none() || plan.to_chain_name.is_evm_family() {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::ExchangeNotConfigured,
        format!(
            "Exchange purchases are sent to EVM chains only; {} is not one.",
            plan.to_chain_name
        ),
    ))
}

/// P5 on an exchange source: a fresh purchase link for this quote, paying `deposit_address`
/// in the quoted token on the quoted chain. `None` for a source without an exchange. The
/// exchange failing is `502 exchange_unavailable` (logged here, once, with its reason).
pub(crate) async fn purchase_link(
    app: &AppState,
    ctx: &PayerContext,
    flow: &sluice_domain::Flow,
    plan: &sluice_domain::transitions::QuotePlan,
    deposit_address: &str,
) -> Result<Option<String>, ApiError> {
    let Some(exchange) = &flow.exchange_source else {
        return Ok(None);
    };
    let not_configured = |message: String| ApiError::new(ErrorCode::ExchangeNotConfigured, message);
    let provider: ExchangeProvider = exchange
        .exchange_id
        .parse()
        .map_err(|()| not_configured(format!("Unknown exchange {}.", exchange.exchange_id)))?;
    let key = app
        .exchanges
        .key(ctx.environment.id, provider)
        .ok_or_else(|| {
            not_configured(format!(
                "{} is not configured for this environment.",
                label(provider)
            ))
        })?;
    let configured_name = app
        .chains
        .get(plan.to_chain_name, &plan.to_chain_id)
        .and_then(|c| c.config.onramp_network.clone());
    let network = network_name(&plan.to_chain_id, configured_name.as_deref()).ok_or_else(|| {
        not_configured(format!(
            "{} cannot send to chain {}; set onramp_network for it in the configuration if Coinbase supports it.",
            label(provider),
            plan.to_chain_id
        ))
    })?;
    let token = plan.quote.to_token_info.as_ref();
    let (asset, decimals) = token.map_or(("", 0), |t| (t.symbol.as_str(), t.decimals));
    let units = plan.quote.to_amount.parse().unwrap_or(0);
    let amount = sluice_domain::money::format_units(units, decimals);
    let flow_id = flow.id.to_string();
    let purchase = Purchase {
        deposit_address,
        network: &network,
        asset,
        amount: &amount,
        flow_id: &flow_id,
        redirect_url: flow
            .ui_config
            .as_ref()
            .and_then(|u| u.return_url.as_deref()),
        client_ip: ctx.client_ip.map(|ip| ip.to_string()),
    };
    match app.exchanges.onramp.purchase_url(&key, &purchase).await {
        Ok(url) => Ok(Some(url)),
        Err(e) => {
            tracing::warn!(flow.id = %flow.id, error = %e, "Coinbase Onramp session failed");
            Err(ApiError::new(
                ErrorCode::ExchangeUnavailable,
                format!(
                    "{} could not make a purchase link just now; try again.",
                    label(provider)
                ),
            ))
        }
    }
}
