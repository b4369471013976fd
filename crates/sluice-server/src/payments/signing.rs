//! Prepare (P6, spec §9): the unsigned transaction the payer's wallet signs, built by the
//! chain's family adapter from the flow's quote; this module only reads the flow and maps
//! the adapter's refusals to the spec's errors.

use sluice_chain::family::{DirectPayment, PrepareError};
use sluice_domain::Flow;
use sluice_domain::flow::SigningPayload;
use sluice_domain::payment_requests::PrepareRequest;

use super::PaymentError;
use crate::chains::ChainRuntime;

fn refused(chain: &ChainRuntime, e: PrepareError) -> PaymentError {
    match e {
        PrepareError::Node(e) => {
            tracing::warn!(error = %e, chain.id = %chain.config.chain_id, "chain node failed during prepare");
            PaymentError::ChainUnavailable(format!(
                "The RPC endpoint of chain {} did not answer; try again.",
                chain.config.chain_id
            ))
        }
        PrepareError::Insufficient {
            asset,
            required,
            available,
        } => PaymentError::InsufficientBalance {
            asset,
            required,
            available,
        },
    }
}

pub async fn build(
    chain: &ChainRuntime,
    flow: &Flow,
    request: PrepareRequest,
) -> Result<SigningPayload, PaymentError> {
    let quote = flow
        .quote
        .as_ref()
        .ok_or_else(|| PaymentError::BadRequest("the flow has no quote".into()))?;
    let transfer = super::quoted_transfer(flow);
    let amount: u128 = quote
        .to_amount
        .parse()
        .map_err(|_| PaymentError::BadRequest("the quote amount is unreadable".into()))?;
    let flow_id = flow.id.to_string();
    let payment = DirectPayment {
        flow_id: &flow_id,
        from: transfer.from,
        to: transfer.to,
        token: transfer.token,
        amount,
        token_symbol: quote
            .to_token_info
            .as_ref()
            .map_or("the token", |t| t.symbol.as_str()),
        assert_balance_for_transfer_amount: request.assert_balance_for_transfer_amount,
        assert_balance_for_gas_cost: request.assert_balance_for_gas_cost,
        expires_at_ms: quote.expires_at.0,
    };
    let chain_name = flow.to_chain_name.unwrap_or(sluice_domain::ChainName::Evm);
    chain
        .node
        .signing_payload(&payment, (chain_name, &chain.config.chain_id))
        .await
        .map_err(|e| refused(chain, e))
}
