//! The unsigned transaction of a direct EVM payment (prepare, spec §9): a native value
//! transfer, or an ERC-20 `transfer(destination, amount)`, with gas, fees and nonce read from
//! the chain, and the payer's balances asserted when asked.

use sluice_domain::ChainName;
use sluice_domain::flow::{EvmTransaction, SigningPayload};

use super::erc20::transfer_calldata;
use super::rpc::{CallRequest, EvmRpc, hex_quantity};
use crate::family::{DirectPayment, PrepareError};

/// Headroom on `eth_estimateGas`: state can change between prepare and inclusion.
const GAS_MARGIN_PERCENT: u128 = 20;
/// Used when the node cannot estimate (e.g. the payer cannot afford the transfer yet).
const FALLBACK_NATIVE_GAS: u128 = 21_000;
const FALLBACK_TOKEN_GAS: u128 = 100_000;
/// Tip when the node has no `eth_maxPriorityFeePerGas`: 1 gwei.
const DEFAULT_PRIORITY_FEE: u128 = 1_000_000_000;

/// Gas price fields: legacy `gasPrice`, or EIP-1559 max fee and tip.
struct FeeFields {
    gas_price: Option<u128>,
    max_fee: Option<u128>,
    max_priority: Option<u128>,
}

async fn fee_fields(rpc: &EvmRpc) -> Result<FeeFields, PrepareError> {
    Ok(match rpc.base_fee().await? {
        Some(base) => {
            let tip = rpc.max_priority_fee().await.unwrap_or(DEFAULT_PRIORITY_FEE);
            FeeFields {
                gas_price: None,
                max_fee: Some(base * 2 + tip),
                max_priority: Some(tip),
            }
        }
        None => FeeFields {
            gas_price: Some(rpc.gas_price().await?),
            max_fee: None,
            max_priority: None,
        },
    })
}

fn insufficient(asset: &str, required: u128, available: u128) -> PrepareError {
    PrepareError::Insufficient {
        asset: asset.to_owned(),
        required,
        available,
    }
}

/// Asserts the payer holds the token amount and/or the native amount plus fee, as asked.
async fn assert_balances(
    rpc: &EvmRpc,
    payment: &DirectPayment<'_>,
    native_symbol: &str,
    fee: u128,
) -> Result<(), PrepareError> {
    let native = payment.token.is_none();
    if let (Some(token), true) = (payment.token, payment.assert_balance_for_transfer_amount) {
        let held = rpc.erc20_balance(token, payment.from).await?;
        if held < payment.amount {
            return Err(insufficient(payment.token_symbol, payment.amount, held));
        }
    }
    let (amount_check, gas_check) = (
        payment.assert_balance_for_transfer_amount,
        payment.assert_balance_for_gas_cost,
    );
    if gas_check || (native && amount_check) {
        let held = rpc.balance(payment.from).await?;
        let needed = match (native, amount_check, gas_check) {
            (true, true, true) => payment.amount.saturating_add(fee),
            (true, true, false) => payment.amount,
            _ => fee,
        };
        if held < needed {
            return Err(insufficient(native_symbol, needed, held));
        }
    }
    Ok(())
}

pub(super) async fn build(
    rpc: &EvmRpc,
    native_symbol: &str,
    payment: &DirectPayment<'_>,
    (chain_name, chain_id): (ChainName, &str),
) -> Result<SigningPayload, PrepareError> {
    let native = payment.token.is_none();
    let (to, value, data) = match payment.token {
        None => (payment.to.to_owned(), payment.amount, "0x".to_owned()),
        Some(token) => (
            token.to_owned(),
            0,
            transfer_calldata(payment.to, payment.amount),
        ),
    };
    let call = CallRequest {
        from: payment.from,
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
        Err(e) => return Err(e.into()),
    };
    let fees = fee_fields(rpc).await?;
    let nonce = rpc.pending_nonce(payment.from).await?;
    let fee = gas_limit.saturating_mul(fees.max_fee.or(fees.gas_price).unwrap_or_default());
    assert_balances(rpc, payment, native_symbol, fee).await?;
    Ok(SigningPayload {
        chain_name,
        chain_id: chain_id.to_owned(),
        evm_transaction: Some(EvmTransaction {
            to,
            data,
            value: hex_quantity(value),
            gas_limit: Some(hex_quantity(gas_limit)),
            gas_price: fees.gas_price.map(hex_quantity),
            max_fee_per_gas: fees.max_fee.map(hex_quantity),
            max_priority_fee_per_gas: fees.max_priority.map(hex_quantity),
            nonce: Some(nonce),
        }),
        psbt: None,
        tron_transaction: None,
        serialized_transaction: None,
    })
}
