//! P3 `GET …/sourceTokenOptions?sourceType=deposit_address`: the chains and tokens a payer
//! can deposit for this flow. An option is one of the flow's settlements whose chain has a
//! deposit key in the environment and, on EVM chains, an RPC endpoint in the configuration
//! (the deposit watcher needs it to see the deposit arrive).

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Extension, Query, State};
use serde::{Deserialize, Serialize};
use sluice_domain::ChainName;
use sluice_domain::deposit_key::ChainFamily;
use sluice_domain::flow::Settlement;
use sluice_domain::request::FieldError;
use utoipa::{IntoParams, ToSchema};

use super::payer::PayerContext;
use crate::AppState;
use crate::error::ApiError;

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OptionsQuery {
    /// Only `deposit_address` has options.
    source_type: Option<String>,
}

/// P3 answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceTokenOptions {
    source_token_options: Vec<ChainOption>,
}

#[derive(Serialize, ToSchema, PartialEq, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ChainOption {
    pub(crate) chain_name: ChainName,
    chain_id: String,
    tokens: Vec<TokenOption>,
}

#[derive(Serialize, ToSchema, PartialEq, Debug)]
pub struct TokenOption {
    address: String,
    symbol: String,
    decimals: u8,
}

#[utoipa::path(
    get,
    path = "/api/v0/sdk/{environmentId}/flow/{flowId}/sourceTokenOptions",
    tag = "payer",
    summary = "P3: chains and tokens a payer can deposit",
    operation_id = "sourceTokenOptions",
    params(crate::http::openapi::params::FlowPath, OptionsQuery),
    responses(
        crate::http::openapi::responses::PayerErrors,
        (status = 200, description = "The flow's settlements that can be paid by deposit: a deposit key for the chain's family and a configured chain.", body = SourceTokenOptions),
        (status = 422, description = "`validation_failed`: `sourceType` missing or not `deposit_address`.", body = crate::http::openapi::schemas::Error),
    ),
)]
pub async fn source_token_options(
    State(app): State<AppState>,
    Extension(ctx): Extension<PayerContext>,
    Query(query): Query<OptionsQuery>,
) -> Result<Json<SourceTokenOptions>, ApiError> {
    if query.source_type.as_deref() != Some("deposit_address") {
        return Err(ApiError::validation(vec![FieldError {
            field: "sourceType".into(),
            code: "invalid_value",
            message: "must be deposit_address: only deposits have source token options".into(),
        }]));
    }
    Ok(Json(SourceTokenOptions {
        source_token_options: depositable(&app, &ctx).await?,
    }))
}

/// The flow's settlements that can be paid by deposit, grouped by chain; `404` for a flow
/// the environment does not have.
pub(crate) async fn depositable(
    app: &AppState,
    ctx: &PayerContext,
) -> Result<Vec<ChainOption>, ApiError> {
    let flow = app
        .store
        .flow(ctx.environment.id, ctx.flow_id)
        .await?
        .ok_or_else(ApiError::flow_not_found)?;
    let keyed: HashSet<ChainFamily> = app
        .store
        .deposit_keys(ctx.environment.id)
        .await?
        .into_iter()
        .map(|k| k.family)
        .collect();
    let mut depositable = Vec::new();
    for s in flow.settlement_config.iter().flat_map(|c| &c.settlements) {
        if !ChainFamily::of(s.chain_name).is_some_and(|f| keyed.contains(&f)) {
            continue;
        }
        // Only chains whose node watches the token and has proven its network.
        let Some(chain) = app.chains.get(s.chain_name, &s.chain_id) else {
            continue;
        };
        if !chain.watches_token(&s.token_address)
            || chain.ensure_proven(app.clock.now()).await.is_err()
        {
            continue;
        }
        depositable.push(s);
    }
    Ok(group_by_chain(depositable.into_iter()))
}

/// One option per chain, its tokens in the order the flow lists them.
fn group_by_chain<'a>(settlements: impl Iterator<Item = &'a Settlement>) -> Vec<ChainOption> {
    let mut options: Vec<ChainOption> = Vec::new();
    for s in settlements {
        let token = TokenOption {
            address: s.token_address.clone(),
            symbol: s.symbol.clone(),
            decimals: s.token_decimals,
        };
        match options
            .iter_mut()
            .find(|o| o.chain_name == s.chain_name && o.chain_id == s.chain_id)
        {
            Some(option) => option.tokens.push(token),
            None => options.push(ChainOption {
                chain_name: s.chain_name,
                chain_id: s.chain_id.clone(),
                tokens: vec![token],
            }),
        }
    }
    options
}
