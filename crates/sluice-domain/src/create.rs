//! Creating a flow (S1): reading the merchant's request into a new [`Flow`] in `initiated`.
//! Every rule violation is collected so that one `422` names every offending field.

use serde_json::{Map, Value};

use crate::address;
use crate::chain::{self, ChainIdError, ChainName};
use crate::flow::{
    DepositConfig, Destination, DestinationConfig, Flow, Settlement, SettlementConfig, UiConfig,
};
use crate::ids::{EnvironmentId, FlowId};
use crate::money::check_amount;
use crate::request::{FieldErrors, Fields, RequestError, enum_field};
use crate::state::{ExecutionState, FlowMode, RiskState, SettlementState, SettlementStrategy};
use crate::time::Timestamp;

pub const DEFAULT_EXPIRES_IN_SECS: i64 = 3600;
pub const MIN_EXPIRES_IN_SECS: i64 = 60;
pub const MAX_EXPIRES_IN_SECS: i64 = 31_536_000;

/// Reads an S1 body. `expiresIn` is clamped into [60 s, 1 year] rather than refused.
pub fn parse_create(
    body: &Map<String, Value>,
    mode: FlowMode,
    environment_id: EnvironmentId,
    now: Timestamp,
) -> Result<Flow, RequestError> {
    let f = Fields::root(body);
    let mut errors = FieldErrors::default();

    let amount = f.str("amount")?;
    match amount {
        None => errors.push("amount", "required", "is required"),
        Some(a) => {
            if let Err(e) = check_amount(a) {
                errors.push("amount", e.code(), e.message());
            }
        }
    }
    let currency = f.str("currency")?;
    match currency {
        None => errors.push("currency", "required", "is required"),
        Some(c) if !chain::is_name(c, 50) => errors.push(
            "currency",
            "pattern",
            "must be 1-50 letters, digits, spaces or _.,:!?&%@/+-'| with no surrounding whitespace",
        ),
        Some(_) => {}
    }

    let settlement_config = read_settlements(&f, &mut errors)?;
    let destination_config = read_destinations(&f, &mut errors)?;
    if let (Some(s), Some(d)) = (&settlement_config, &destination_config) {
        for (i, settlement) in s.settlements.iter().enumerate() {
            if !d
                .destinations
                .iter()
                .any(|dest| dest.chain_name == settlement.chain_name)
            {
                errors.push(
                    format!("settlementConfig.settlements[{i}].chainName"),
                    "missing_destination",
                    format!(
                        "no destination in destinationConfig for chain {}",
                        settlement.chain_name
                    ),
                );
            }
        }
    }

    let memo = f
        .raw_object("memo")?
        .map(|m| crate::memo::Memo::from_value(&Value::Object(m.clone())));
    let expires_in = f
        .integer("expiresIn")?
        .unwrap_or(DEFAULT_EXPIRES_IN_SECS)
        .clamp(MIN_EXPIRES_IN_SECS, MAX_EXPIRES_IN_SECS);
    let peg_stablecoins = f.bool("pegStablecoins")?.unwrap_or(false);
    let disable_swaps = f.bool("disableSwaps")?.unwrap_or(false);
    let user_id = f.str("userId")?;
    if user_id.is_some_and(|u| u.is_empty() || u.len() > 255) {
        errors.push("userId", "too_long", "must be 1-255 characters");
    }
    let ui_config = read_ui_config(&f, &mut errors)?;
    let deposit_config = read_deposit_config(&f, &mut errors)?;

    errors.finish(|| Flow {
        id: FlowId::new_random(),
        mode,
        amount: amount.unwrap_or_default().to_owned(),
        currency: currency.unwrap_or_default().to_owned(),
        memo,
        user_id: user_id.map(str::to_owned),
        execution_state: ExecutionState::Initiated,
        settlement_state: SettlementState::None,
        risk_state: RiskState::Unknown,
        source: None,
        deposit_address: None,
        exchange_source: None,
        deposits: Vec::new(),
        quote_version: 0,
        from_token: None,
        to_address: None,
        to_chain_id: None,
        to_chain_name: None,
        to_token: None,
        quote: None,
        tx_hash: None,
        settlement_tx_hash: None,
        broadcasted_at: None,
        source_confirmed_at: None,
        confirmations: None,
        settlement: None,
        completed_at: None,
        failure: None,
        expires_at: now.plus_seconds(expires_in),
        created_at: now,
        updated_at: now,
        deposit_config,
        peg_stablecoins,
        disable_swaps,
        ui_config,
        settlement_config,
        destination_config,
        environment_id,
        session_token_hash: None,
        revision: 0,
    })
}

fn read_settlements(
    f: &Fields<'_>,
    errors: &mut FieldErrors,
) -> Result<Option<SettlementConfig>, RequestError> {
    let Some(config) = f.object("settlementConfig")? else {
        errors.push("settlementConfig", "required", "is required");
        return Ok(None);
    };
    let strategy = enum_field::<SettlementStrategy>(
        errors,
        config.path("strategy"),
        config.str("strategy")?,
        true,
        SettlementStrategy::spellings,
    );
    let items = config.objects("settlements")?.unwrap_or_default();
    if items.is_empty() {
        errors.push(
            config.path("settlements"),
            "required",
            "at least one settlement is required",
        );
    }
    let mut settlements = Vec::new();
    for item in &items {
        let chain_name = enum_field::<ChainName>(
            errors,
            item.path("chainName"),
            item.str("chainName")?,
            true,
            ChainName::spellings,
        );
        let chain_id = required_str(item, "chainId", errors)?;
        if let Some(id) = chain_id {
            check_chain_id_field(errors, item.path("chainId"), chain_name, id);
        }
        let token_address = required_str(item, "tokenAddress", errors)?;
        let token_address = token_address
            .and_then(|t| check_token_address(errors, item.path("tokenAddress"), chain_name, t));
        let symbol = required_str(item, "symbol", errors)?;
        if symbol.is_some_and(|s| !chain::is_name(s, 50)) {
            errors.push(
                item.path("symbol"),
                "pattern",
                "must be 1-50 characters of the name pattern",
            );
        }
        let decimals = item.integer("tokenDecimals")?;
        let decimals = match decimals {
            None => {
                errors.push(item.path("tokenDecimals"), "required", "is required");
                None
            }
            Some(d) => match u8::try_from(d) {
                Ok(d) if u32::from(d) <= crate::money::MAX_DIGITS => Some(d),
                _ => {
                    errors.push(
                        item.path("tokenDecimals"),
                        "out_of_range",
                        "must be between 0 and 38 (amounts are 128-bit integers of the token's smallest unit)",
                    );
                    None
                }
            },
        };
        let is_native = item.bool("isNative")?;
        if chain_name == Some(ChainName::Btc) {
            check_bitcoin_settlement(errors, item, token_address.as_deref(), decimals);
        }
        let trx = token_address.as_deref() == Some(TRX_TOKEN);
        if chain_name == Some(ChainName::Tron) && trx && decimals.is_some_and(|d| d != 6) {
            errors.push(
                item.path("tokenDecimals"),
                "invalid_value",
                "must be 6 for TRX (amounts are in sun)",
            );
        }
        let sol = token_address.as_deref() == Some(SOL_TOKEN);
        if chain_name == Some(ChainName::Sol) && sol && decimals.is_some_and(|d| d != 9) {
            errors.push(
                item.path("tokenDecimals"),
                "invalid_value",
                "must be 9 for SOL (amounts are in lamports)",
            );
        }
        if let (
            Some(chain_name),
            Some(chain_id),
            Some(token_address),
            Some(symbol),
            Some(token_decimals),
        ) = (chain_name, chain_id, token_address, symbol, decimals)
        {
            settlements.push(Settlement {
                chain_name,
                chain_id: chain_id.to_owned(),
                token_address,
                symbol: symbol.to_owned(),
                token_decimals,
                is_native,
            });
        }
    }
    Ok(strategy.map(|strategy| SettlementConfig {
        strategy,
        settlements,
    }))
}

/// TRX's `tokenAddress` (spec §10): the base58 spelling of TRON's zero address.
const TRX_TOKEN: &str = "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb";

/// SOL's `tokenAddress` (spec §10): the System program's key.
const SOL_TOKEN: &str = "11111111111111111111111111111111";

/// Bitcoin has no tokens (spec §10): a BTC settlement is bitcoin itself, in satoshis, and
/// anything else would be quoted at the wrong scale or never match a payment.
fn check_bitcoin_settlement(
    errors: &mut FieldErrors,
    item: &Fields<'_>,
    token_address: Option<&str>,
    decimals: Option<u8>,
) {
    if token_address.is_some_and(|t| t != "bitcoin") {
        errors.push(
            item.path("tokenAddress"),
            "invalid_value",
            "must be \"bitcoin\": Bitcoin has no tokens",
        );
    }
    if decimals.is_some_and(|d| d != 8) {
        errors.push(
            item.path("tokenDecimals"),
            "invalid_value",
            "must be 8 for bitcoin (amounts are in satoshis)",
        );
    }
}

fn read_destinations(
    f: &Fields<'_>,
    errors: &mut FieldErrors,
) -> Result<Option<DestinationConfig>, RequestError> {
    let Some(config) = f.object("destinationConfig")? else {
        errors.push("destinationConfig", "required", "is required");
        return Ok(None);
    };
    let items = config.objects("destinations")?.unwrap_or_default();
    if items.is_empty() {
        errors.push(
            config.path("destinations"),
            "required",
            "at least one destination is required",
        );
    }
    let mut destinations = Vec::new();
    for item in &items {
        let chain_name = enum_field::<ChainName>(
            errors,
            item.path("chainName"),
            item.str("chainName")?,
            true,
            ChainName::spellings,
        );
        let kind = required_str(item, "type", errors)?;
        if kind.is_some_and(|k| k != "address") {
            errors.push(item.path("type"), "invalid_enum", "must be one of: address");
        }
        let identifier = required_str(item, "identifier", errors)?;
        let identifier = match (chain_name, identifier) {
            (Some(chain), Some(id)) => check_address(errors, item.path("identifier"), chain, id),
            (None, Some(id)) => address::check_generic(id)
                .map_err(|e| {
                    errors.push(item.path("identifier"), e.code(), "is not a valid address")
                })
                .ok()
                .map(|()| id.to_owned()),
            _ => None,
        };
        if let (Some(chain_name), Some("address"), Some(identifier)) =
            (chain_name, kind, identifier)
        {
            destinations.push(Destination {
                chain_name,
                kind: "address".into(),
                identifier,
            });
        }
    }
    Ok(Some(DestinationConfig { destinations }))
}

fn read_ui_config(
    f: &Fields<'_>,
    errors: &mut FieldErrors,
) -> Result<Option<UiConfig>, RequestError> {
    let Some(ui) = f.object("uiConfig")? else {
        return Ok(None);
    };
    let return_url = ui.str("returnUrl")?;
    if let Some(url) = return_url {
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        if !scheme_ok || url.len() > 2048 || url.chars().any(char::is_whitespace) {
            errors.push(
                ui.path("returnUrl"),
                "pattern",
                "must be an http(s) URL of at most 2048 characters",
            );
        }
    }
    Ok(Some(UiConfig {
        return_url: return_url.map(str::to_owned),
    }))
}

fn read_deposit_config(
    f: &Fields<'_>,
    errors: &mut FieldErrors,
) -> Result<Option<DepositConfig>, RequestError> {
    let Some(dc) = f.object("depositConfig")? else {
        return Ok(None);
    };
    let minimum = dc.str("minimum")?;
    if let Some(Err(e)) = minimum.map(check_amount) {
        errors.push(dc.path("minimum"), e.code(), e.message());
    }
    let presets = dc.strings("presets")?;
    for (i, p) in presets.iter().flatten().enumerate() {
        if let Err(e) = check_amount(p) {
            errors.push(
                format!("{}[{i}]", dc.path("presets")),
                e.code(),
                e.message(),
            );
        }
    }
    Ok(Some(DepositConfig {
        minimum: minimum.map(str::to_owned),
        presets: presets.map(|p| p.into_iter().map(str::to_owned).collect()),
    }))
}

fn required_str<'a>(
    f: &Fields<'a>,
    key: &str,
    errors: &mut FieldErrors,
) -> Result<Option<&'a str>, RequestError> {
    let value = f.str(key)?;
    if value.is_none() {
        errors.push(f.path(key), "required", "is required");
    }
    Ok(value)
}

/// Checks a chain ID for its (possibly unknown) chain, recording a violation.
pub fn check_chain_id_field(
    errors: &mut FieldErrors,
    path: String,
    chain: Option<ChainName>,
    id: &str,
) {
    match chain::check_chain_id(chain, id) {
        Ok(()) => {}
        Err(ChainIdError::Pattern) => errors.push(
            path,
            "pattern",
            "must be 1-50 letters, digits, spaces or _.,:!?&%@/+-'| with no surrounding whitespace",
        ),
        Err(ChainIdError::NotDecimal) => errors.push(
            path,
            "pattern",
            "must be a decimal chain ID such as \"1\" or \"8453\" for EVM-family chains",
        ),
    }
}

/// Checks an address for its chain, recording a violation; returns the canonical form.
pub fn check_address(
    errors: &mut FieldErrors,
    path: String,
    chain: ChainName,
    value: &str,
) -> Option<String> {
    match address::parse(chain, value) {
        Ok(canonical) => Some(canonical),
        Err(e) => {
            let message = match &e {
                address::AddressError::TooLong => "must be at most 255 characters".to_owned(),
                address::AddressError::Pattern => {
                    "must be 18-100 characters of A-Z, a-z, 0-9, _ and -".to_owned()
                }
                address::AddressError::Invalid(why) => {
                    format!("is not a valid {chain} address: {why}")
                }
            };
            errors.push(path, e.code(), message);
            None
        }
    }
}

/// Token addresses: an EVM-family token is an EVM address (the zero address is the native
/// sentinel); other families use native sentinels such as `bitcoin` or `0x2::sui::SUI`, so
/// only a length and character check applies until their chain adapters exist.
fn check_token_address(
    errors: &mut FieldErrors,
    path: String,
    chain: Option<ChainName>,
    value: &str,
) -> Option<String> {
    match chain {
        Some(c) if c.is_evm_family() => match address::parse_evm(value) {
            Ok(canonical) => Some(canonical),
            Err(why) => {
                errors.push(
                    path,
                    "invalid_address",
                    format!("is not a valid {c} token address: {why}"),
                );
                None
            }
        },
        _ if chain::is_name(value, 255) && !value.contains(' ') => Some(value.to_owned()),
        _ => {
            errors.push(path, "pattern", "must be 1-255 characters without spaces");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_refused(body: Value) -> Vec<String> {
        let body = body.as_object().unwrap().clone();
        let env = EnvironmentId::new_random();
        match parse_create(&body, FlowMode::Payment, env, Timestamp(0)) {
            Err(RequestError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bitcoin_settlement_is_bitcoin_in_satoshis() {
        let body = |token: &str, decimals: u8| {
            serde_json::json!({
                "amount": "25.00", "currency": "USD",
                "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "BTC", "chainId": "1", "tokenAddress": token, "symbol": "BTC", "tokenDecimals": decimals}]},
                "destinationConfig": {"destinations": [{"chainName": "BTC", "type": "address", "identifier": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}]}
            })
        };
        let settlement = "settlementConfig.settlements[0]";
        assert_eq!(
            fields_refused(body("bitcoin", 18)),
            [format!("{settlement}.tokenDecimals")]
        );
        assert_eq!(
            fields_refused(body("ordinals", 8)),
            [format!("{settlement}.tokenAddress")]
        );
        let trx = serde_json::json!({
            "amount": "25.00", "currency": "USD",
            "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "TRON", "chainId": "728126428", "tokenAddress": TRX_TOKEN, "symbol": "TRX", "tokenDecimals": 18}]},
            "destinationConfig": {"destinations": [{"chainName": "TRON", "type": "address", "identifier": "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH"}]}
        });
        assert_eq!(fields_refused(trx), [format!("{settlement}.tokenDecimals")]);
        let sol = serde_json::json!({
            "amount": "25.00", "currency": "USD",
            "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "SOL", "chainId": "101", "tokenAddress": SOL_TOKEN, "symbol": "SOL", "tokenDecimals": 18}]},
            "destinationConfig": {"destinations": [{"chainName": "SOL", "type": "address", "identifier": "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"}]}
        });
        assert_eq!(fields_refused(sol), [format!("{settlement}.tokenDecimals")]);
        let ok = body("bitcoin", 8);
        let env = EnvironmentId::new_random();
        assert!(
            parse_create(
                ok.as_object().unwrap(),
                FlowMode::Payment,
                env,
                Timestamp(0)
            )
            .is_ok()
        );
    }
}
