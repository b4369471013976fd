//! Building the unsigned transaction that prepare (P6) hands the payer's wallet (spec §9):
//! a native value transfer, or an ERC-20 `transfer(destination, amount)`, with gas, fees and
//! nonce read from the chain. Optionally asserts the payer can afford it.

use serde_json::json;
use sluice_chain::erc20::transfer_calldata;
use sluice_chain::evm::{CallRequest, RpcError, hex_quantity};
use sluice_domain::Flow;
use sluice_domain::flow::{EvmTransaction, SigningPayload};
use sluice_domain::payment_requests::PrepareRequest;

use crate::chains::ChainRuntime;
use crate::error::{ApiError, ErrorCode};
use crate::quoting::NATIVE_TOKEN;

/// Headroom on `eth_estimateGas`: state can change between prepare and inclusion.
const GAS_MARGIN_PERCENT: u128 = 20;
/// Used when the node cannot estimate (e.g. the payer cannot afford the transfer yet).
const FALLBACK_NATIVE_GAS: u128 = 21_000;
const FALLBACK_TOKEN_GAS: u128 = 100_000;
/// Tip when the node has no `eth_maxPriorityFeePerGas`: 1 gwei.
const DEFAULT_PRIORITY_FEE: u128 = 1_000_000_000;

fn unavailable(chain: &ChainRuntime, e: &RpcError) -> ApiError {
    tracing::warn!(error = %e, chain.id = %chain.config.chain_id, "chain RPC failed during prepare");
    ApiError::new(
        ErrorCode::ChainUnavailable,
        format!(
            "The RPC endpoint of chain {} did not answer; try again.",
            chain.config.chain_id
        ),
    )
}

fn insufficient(asset: &str, required: u128, available: u128) -> ApiError {
    ApiError::new(ErrorCode::InsufficientBalance, format!("The wallet holds too little {asset} for this payment."))
        .with_payload(json!({ "asset": asset, "required": required.to_string(), "available": available.to_string() }))
}

pub async fn build(
    chain: &ChainRuntime,
    flow: &Flow,
    request: PrepareRequest,
) -> Result<SigningPayload, ApiError> {
    let quote = flow
        .quote
        .as_ref()
        .ok_or_else(|| ApiError::invalid_request("the flow has no quote"))?;
    let from = flow
        .source
        .as_ref()
        .and_then(|s| s.from_address.as_deref())
        .unwrap_or_default();
    let destination = flow.to_address.as_deref().unwrap_or_default();
    let token = flow.to_token.as_deref().unwrap_or(NATIVE_TOKEN);
    let native = token.eq_ignore_ascii_case(NATIVE_TOKEN);
    let amount: u128 = quote
        .to_amount
        .parse()
        .map_err(|_| ApiError::invalid_request("the quote amount is unreadable"))?;
    let (to, value, data) = if native {
        (destination.to_owned(), amount, "0x".to_owned())
    } else {
        (token.to_owned(), 0, transfer_calldata(destination, amount))
    };
    let rpc = &chain.rpc;
    let call = CallRequest {
        from,
        to: &to,
        value,
        data: &data,
    };
    let gas_limit = match rpc.estimate_gas(&call).await {
        Ok(gas) => gas + gas * GAS_MARGIN_PERCENT / 100,
        Err(e) if e.is_execution_error() => {
            if native {
                FALLBACK_NATIVE_GAS
            } else {
                FALLBACK_TOKEN_GAS
            }
        }
        Err(e) => return Err(unavailable(chain, &e)),
    };
    let base_fee = rpc.base_fee().await.map_err(|e| unavailable(chain, &e))?;
    let (gas_price, max_fee, max_priority) = match base_fee {
        Some(base) => {
            let tip = rpc.max_priority_fee().await.unwrap_or(DEFAULT_PRIORITY_FEE);
            (None, Some(base * 2 + tip), Some(tip))
        }
        None => (
            Some(rpc.gas_price().await.map_err(|e| unavailable(chain, &e))?),
            None,
            None,
        ),
    };
    let nonce = rpc
        .pending_nonce(from)
        .await
        .map_err(|e| unavailable(chain, &e))?;

    if request.assert_balance_for_transfer_amount && !native {
        let held = rpc
            .erc20_balance(token, from)
            .await
            .map_err(|e| unavailable(chain, &e))?;
        if held < amount {
            let symbol = quote
                .to_token_info
                .as_ref()
                .map_or("the token", |t| t.symbol.as_str());
            return Err(insufficient(symbol, amount, held));
        }
    }
    if request.assert_balance_for_gas_cost || (native && request.assert_balance_for_transfer_amount)
    {
        let held = rpc
            .balance(from)
            .await
            .map_err(|e| unavailable(chain, &e))?;
        let fee = gas_limit.saturating_mul(max_fee.or(gas_price).unwrap_or_default());
        let needed = match (
            native,
            request.assert_balance_for_transfer_amount,
            request.assert_balance_for_gas_cost,
        ) {
            (true, true, true) => amount.saturating_add(fee),
            (true, true, false) => amount,
            _ => fee,
        };
        if held < needed {
            return Err(insufficient(&chain.config.native_symbol, needed, held));
        }
    }
    Ok(SigningPayload {
        chain_name: flow.to_chain_name.unwrap_or(sluice_domain::ChainName::Evm),
        chain_id: chain.config.chain_id.clone(),
        evm_transaction: Some(EvmTransaction {
            to,
            data,
            value: hex_quantity(value),
            gas_limit: Some(hex_quantity(gas_limit)),
            gas_price: gas_price.map(hex_quantity),
            max_fee_per_gas: max_fee.map(hex_quantity),
            max_priority_fee_per_gas: max_priority.map(hex_quantity),
            nonce: Some(nonce),
        }),
    })
}
