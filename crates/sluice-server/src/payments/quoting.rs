//! Planning a direct quote (P5, spec §9): the payer pays in a token and on a chain that the
//! flow settles in, so no swap is needed. Finds the settlement, converts `amount`/`currency`
//! into token units, estimates the network fee, and returns the plan the lifecycle stores.

use sluice_domain::flow::{Fees, FlowQuote, GasEstimate, Settlement, TokenInfo};
use sluice_domain::money::{convert_at_price, format_units, to_base_units};
use sluice_domain::payment_requests::QuoteRequest;
use sluice_domain::transitions::QuotePlan;
use sluice_domain::{ChainName, Flow, FlowMode, SourceType, Timestamp};

use super::pricing::is_stablecoin_of;
use super::{PaymentError, Payments};
use crate::config::chain_key;

fn same_token(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Whether `token` is a family's native-token sentinel (`0x0…0` on EVM, `bitcoin`, TRON's
/// `T9yD14…`, Solana's System program `111…1`).
pub fn is_native_token(token: &str) -> bool {
    same_token(token, sluice_chain::evm::NATIVE_TOKEN)
        || same_token(token, sluice_chain::bitcoin::BITCOIN_TOKEN)
        || token == sluice_chain::tron::TRX_TOKEN
        || token == sluice_chain::solana::SOL_TOKEN
}

pub fn is_native(settlement: &Settlement) -> bool {
    settlement.is_native == Some(true) || is_native_token(&settlement.token_address)
}

fn field_error(field: &str, code: &'static str, message: &str) -> PaymentError {
    PaymentError::invalid(field, code, message)
}

fn no_route(reason: String) -> PaymentError {
    PaymentError::NoRoute(reason)
}

/// Picks the settlement the payer's token and chain pay directly. The chain is the payer's
/// chain ID within its source's family (Bitcoin's `"1"` is not Ethereum's `"1"`).
fn pick_settlement<'a>(
    flow: &'a Flow,
    request: &QuoteRequest,
    chain_id: &str,
    chain_name: Option<ChainName>,
) -> Result<&'a Settlement, PaymentError> {
    let settlements = flow
        .settlement_config
        .as_ref()
        .map(|c| c.settlements.as_slice())
        .unwrap_or_default();
    let same_chain = |s: &Settlement| {
        s.chain_id == chain_id
            && chain_name
                .is_none_or(|n| chain_key(n, chain_id) == chain_key(s.chain_name, chain_id))
    };
    let on_chain: Vec<&Settlement> = settlements.iter().filter(|s| same_chain(s)).collect();
    let found = match &request.from_token_address {
        Some(token) => on_chain
            .iter()
            .copied()
            .find(|s| same_token(&s.token_address, token)),
        None if on_chain.len() == 1 => Some(on_chain[0]),
        None if on_chain.len() > 1 => {
            return Err(field_error(
                "fromTokenAddress",
                "required",
                "the flow settles in several tokens on this chain; name one",
            ));
        }
        None => None,
    };
    found.ok_or_else(|| {
        let token = request.from_token_address.as_deref().unwrap_or("any token");
        if flow.disable_swaps {
            PaymentError::SwapsDisabled(format!("Swaps are disabled for this flow and {token} on chain {chain_id} is not one of its settlements."))
        } else {
            no_route(format!("{token} on chain {chain_id} is not a settlement of this flow, and no swap provider is configured"))
        }
    })
}

/// The amount due in the token's smallest unit.
async fn amount_due(
    app: &Payments<'_>,
    flow: &Flow,
    amount: &str,
    settlement: &Settlement,
) -> Result<u128, PaymentError> {
    let (symbol, decimals) = (settlement.symbol.as_str(), settlement.token_decimals);
    let too_large = || {
        no_route(format!(
            "{amount} {} does not fit in {symbol} units",
            flow.currency
        ))
    };
    if flow.currency.eq_ignore_ascii_case(symbol)
        || (flow.peg_stablecoins && is_stablecoin_of(symbol, &flow.currency))
    {
        return to_base_units(amount, decimals).ok_or_else(too_large);
    }
    let price = app
        .prices
        .price(symbol, &flow.currency)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "price feed failed");
            no_route(format!(
                "the price of {symbol} in {} is unavailable right now",
                flow.currency
            ))
        })?;
    match price {
        Some(price) => convert_at_price(amount, &price, decimals).ok_or_else(too_large),
        // A USD flow settled in USDC without `pegStablecoins` is the usual surprise: say
        // what would let it quote.
        None if is_stablecoin_of(symbol, &flow.currency) => Err(no_route(format!(
            "no price of {symbol} in {currency} is configured; {symbol} is a stablecoin of \
             {currency}: \"pegStablecoins\": true on the flow counts 1 {symbol} as 1 {currency}, \
             or configure a price (\"{symbol}/{currency}\" in [prices], or a price feed)",
            currency = flow.currency
        ))),
        None => Err(no_route(format!(
            "no price of {symbol} in {} is configured",
            flow.currency
        ))),
    }
}

/// The network fee for the transfer, best effort: a quote does not fail because the fee
/// could not be estimated.
async fn fee_estimate(
    app: &Payments<'_>,
    chain: &crate::chains::ChainRuntime,
    native: bool,
) -> Option<Fees> {
    let wei = match chain.node.transfer_fee(native).await {
        Ok(fee) => fee,
        Err(e) => {
            tracing::warn!(error = %e, chain.id = %chain.config.chain_id, "network fee unavailable; quoting without a fee estimate");
            return None;
        }
    };
    let decimals = chain.node.native_decimals();
    let native_value = format_units(wei, decimals);
    let symbol = chain.config.native_symbol().to_owned();
    let usd_value = match app.prices.price(&symbol, "USD").await {
        Ok(Some(price)) => sluice_domain::money::parse_decimal(&price).map(|(p, scale)| {
            // fee × price / 10^(decimals + scale), shown in cents.
            let cents =
                wei.saturating_mul(p).saturating_mul(100) / 10u128.pow(u32::from(decimals) + scale);
            format_units(cents, 2)
        }),
        _ => None,
    };
    Some(Fees {
        total_fee_usd: usd_value.clone(),
        gas_estimate: Some(GasEstimate {
            usd_value,
            native_value: Some(native_value),
            native_symbol: Some(symbol),
        }),
    })
}

/// On a Bitcoin chain, an address of another network (a `tb1…` destination on mainnet) would
/// be refused by the payer's wallet, or pay a wallet watching another network: refused here.
fn check_bitcoin_spelling(
    chain: &crate::config::ChainConfig,
    address: &str,
    what: &str,
) -> Result<(), PaymentError> {
    match chain.network.filter(|_| chain.is_bitcoin()) {
        Some(network) if !network.spells(address) => Err(no_route(format!(
            "the flow's {what} {address} is not an address of Bitcoin network {}",
            network.as_str()
        ))),
        _ => Ok(()),
    }
}

pub async fn plan(
    app: &Payments<'_>,
    flow: &Flow,
    request: &QuoteRequest,
    now: Timestamp,
) -> Result<QuotePlan, PaymentError> {
    let source = flow
        .source
        .as_ref()
        .ok_or_else(|| PaymentError::BadRequest("the flow has no source".into()))?;
    let chain_id = request
        .from_chain_id
        .clone()
        .or_else(|| source.from_chain_id.clone())
        .ok_or_else(|| {
            field_error(
                "fromChainId",
                "required",
                "the source names no chain; say which chain the payer pays on",
            )
        })?;
    let settlement = pick_settlement(flow, request, &chain_id, source.from_chain_name)?;
    let destination = flow
        .destination_config
        .as_ref()
        .and_then(|d| {
            d.destinations
                .iter()
                .find(|d| d.chain_name == settlement.chain_name)
        })
        .ok_or_else(|| no_route(format!("no destination on {}", settlement.chain_name)))?;
    let chain = app
        .chains
        .get(settlement.chain_name, &chain_id)
        .ok_or_else(|| {
            PaymentError::ChainNotConfigured(format!(
                "No RPC endpoint is configured for {} chain {chain_id}.",
                settlement.chain_name
            ))
        })?;
    super::usable(&chain, now).await?;
    check_bitcoin_spelling(&chain.config, &destination.identifier, "destination")?;
    if let Some(from) = source.from_address.as_deref() {
        check_bitcoin_spelling(&chain.config, from, "fromAddress")?;
    }

    let amount = match (&request.amount, flow.mode) {
        (Some(chosen), FlowMode::Deposit) => {
            let minimum = flow
                .deposit_config
                .as_ref()
                .and_then(|d| d.minimum.as_deref());
            if let Some(minimum) = minimum {
                let (a, m) = (to_base_units(chosen, 18), to_base_units(minimum, 18));
                if a < m {
                    return Err(field_error(
                        "amount",
                        "out_of_range",
                        &format!("must be at least the deposit minimum {minimum}"),
                    ));
                }
            }
            chosen.clone()
        }
        _ => flow.amount.clone(),
    };
    let units = amount_due(app, flow, &amount, settlement).await?;
    let native = is_native(settlement);
    let fees = fee_estimate(app, &chain, native).await;
    let wallet = source.source_type == SourceType::Wallet;
    // Deposit-address and exchange payers need minutes: their quote holds for the flow's life.
    let expires_at = if wallet {
        now.plus_seconds(app.quote_ttl_secs).min(flow.expires_at)
    } else {
        flow.expires_at
    };
    let token_info = TokenInfo {
        symbol: settlement.symbol.clone(),
        decimals: settlement.token_decimals,
        name: None,
    };
    let quote = FlowQuote {
        version: 0,
        from_amount: units.to_string(),
        to_amount: units.to_string(),
        fees,
        estimated_time_sec: None,
        signing_payload: None,
        created_at: now,
        expires_at,
        from_token_info: Some(token_info.clone()),
        to_token_info: Some(token_info),
    };
    Ok(QuotePlan {
        quote,
        from_chain_id: chain_id.clone(),
        from_token: settlement.token_address.clone(),
        to_address: destination.identifier.clone(),
        to_chain_id: chain_id,
        to_chain_name: settlement.chain_name,
        to_token: settlement.token_address.clone(),
        exchange_url: None,
    })
}
