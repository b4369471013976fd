//! Reading an attach-source request (P4, spec §6) into a [`Source`]. All rule violations are
//! reported together; the environment's own restrictions (enabled chains, configured
//! exchanges) are rule violations too, with their own codes.

use serde_json::{Map, Value};

use crate::chain::ChainName;
use crate::create::{check_address, check_chain_id_field};
use crate::flow::Source;
use crate::request::{FieldError, FieldErrors, Fields, RequestError, enum_field};
use crate::state::{SourceType, wire_enum};

wire_enum!(
    /// Exchanges a payer can fund a flow from.
    ExchangeProvider { Coinbase => "coinbase", Kraken => "kraken" }
);

/// What an environment allows, as far as attaching a source is concerned.
#[derive(Debug, Clone, Copy)]
pub struct AttachPolicy<'a> {
    /// `None`: every chain name is accepted (a new environment's default).
    pub enabled_chains: Option<&'a [ChainName]>,
    pub configured_exchanges: &'a [ExchangeProvider],
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttachRequest {
    pub source: Source,
    pub exchange_provider: Option<ExchangeProvider>,
}

impl AttachRequest {
    /// The addresses that screening must check.
    pub fn screened_addresses(&self) -> Vec<&str> {
        [&self.source.from_address, &self.source.refund_address]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

pub fn parse_attach(
    body: &Map<String, Value>,
    policy: AttachPolicy<'_>,
) -> Result<AttachRequest, RequestError> {
    let f = Fields::root(body);
    let mut errors = FieldErrors::default();

    let source_type = enum_field::<SourceType>(
        &mut errors,
        "sourceType".into(),
        f.str("sourceType")?,
        true,
        SourceType::spellings,
    );
    let from_address = f.str("fromAddress")?;
    let from_chain_id = f.str("fromChainId")?;
    let chain_name_text = f.str("fromChainName")?;
    let exchange_text = f.str("exchangeProvider")?;
    let refund_address = f.str("refundAddress")?;

    let needs_chain = matches!(
        source_type,
        Some(SourceType::Wallet | SourceType::DepositAddress)
    );
    if source_type == Some(SourceType::Exchange)
        && (from_chain_id.is_some() != chain_name_text.is_some())
    {
        let missing = if from_chain_id.is_none() {
            "fromChainId"
        } else {
            "fromChainName"
        };
        errors.push(
            missing,
            "required",
            "fromChainId and fromChainName must be given together",
        );
    }
    if needs_chain && from_chain_id.is_none() {
        errors.push(
            "fromChainId",
            "required",
            "is required for this source type",
        );
    }
    let chain = enum_field::<ChainName>(
        &mut errors,
        "fromChainName".into(),
        chain_name_text,
        needs_chain,
        ChainName::spellings,
    );
    if let Some(id) = from_chain_id {
        check_chain_id_field(&mut errors, "fromChainId".into(), chain, id);
    }
    if let (Some(c), Some(enabled)) = (chain, policy.enabled_chains)
        && !enabled.contains(&c)
    {
        errors.push(
            "fromChainName",
            "chain_not_enabled",
            format!("{c} is not enabled for this environment"),
        );
    }

    if source_type == Some(SourceType::Wallet) && from_address.is_none() {
        errors.push("fromAddress", "required", "is required for a wallet source");
    }
    let from_address =
        from_address.and_then(|a| checked_address(&mut errors, "fromAddress", chain, a));

    let refund_address = match refund_address {
        Some(_) if source_type.is_some_and(|t| t != SourceType::DepositAddress) => {
            errors.push(
                "refundAddress",
                "not_allowed_for_source_type",
                "is only allowed for deposit_address sources",
            );
            None
        }
        Some(a) => checked_address(&mut errors, "refundAddress", chain, a),
        None => None,
    };

    let exchange_provider = match exchange_text {
        Some(_) if source_type.is_some_and(|t| t != SourceType::Exchange) => {
            errors.push(
                "exchangeProvider",
                "not_allowed_for_source_type",
                "is only allowed for exchange sources",
            );
            None
        }
        text => enum_field::<ExchangeProvider>(
            &mut errors,
            "exchangeProvider".into(),
            text,
            false,
            ExchangeProvider::spellings,
        ),
    };
    if let Some(provider) = exchange_provider {
        if provider == ExchangeProvider::Kraken {
            errors.push(
                "exchangeProvider",
                "exchange_not_configured",
                "Kraken offers no public purchase link, so it cannot fund a flow",
            );
        } else if !policy.configured_exchanges.contains(&provider) {
            errors.push(
                "exchangeProvider",
                "exchange_not_configured",
                format!("{provider} is not configured for this environment"),
            );
        }
    }

    errors.finish(|| AttachRequest {
        source: Source {
            source_type: source_type.expect("validated above"),
            from_address,
            from_chain_id: from_chain_id.map(str::to_owned),
            from_chain_name: chain,
            refund_address,
        },
        exchange_provider,
    })
}

/// With a known chain, its full address rule; without one (an exchange source that names no
/// chain, or an unknown chain name already reported), the generic pattern.
fn checked_address(
    errors: &mut FieldErrors,
    field: &str,
    chain: Option<ChainName>,
    value: &str,
) -> Option<String> {
    match chain {
        Some(c) => check_address(errors, field.into(), c, value),
        None => match crate::address::check_generic(value) {
            Ok(()) => Some(value.to_owned()),
            Err(e) => {
                errors.push(
                    field,
                    e.code(),
                    "must be 18-100 characters of A-Z, a-z, 0-9, _ and - (at most 255)",
                );
                None
            }
        },
    }
}

/// The top-level code of a `422` (spec §6 step 3): `validation_failed`, unless every
/// violation is the same one of the two environment codes.
pub fn top_level_code(errors: &[FieldError]) -> &'static str {
    for env_code in ["chain_not_enabled", "exchange_not_configured"] {
        if !errors.is_empty() && errors.iter().all(|e| e.code == env_code) {
            return env_code;
        }
    }
    "validation_failed"
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::*;

    const POLICY: AttachPolicy<'static> = AttachPolicy {
        enabled_chains: None,
        configured_exchanges: &[],
    };

    /// Arbitrary JSON, biased towards the attach request's real keys and values.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            any::<i64>().prop_map(Value::from),
            prop::sample::select(vec![
                "wallet",
                "exchange",
                "deposit_address",
                "EVM",
                "SOL",
                "BTC",
                "8453",
                "coinbase",
                "kraken"
            ])
            .prop_map(Value::from),
            "\\PC{0,110}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn request() -> impl Strategy<Value = Map<String, Value>> {
        let keys = prop::sample::select(vec![
            "sourceType",
            "fromAddress",
            "fromChainId",
            "fromChainName",
            "exchangeProvider",
            "refundAddress",
            "x",
        ]);
        prop::collection::vec((keys, json_value()), 0..8)
            .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The fuzz target of the attach parser: no input panics, a refusal always names at
        /// least one field, and an accepted request always has its required fields.
        #[test]
        fn attach_parser_is_total(body in request()) {
            match parse_attach(&body, POLICY) {
                Ok(req) => {
                    if req.source.source_type == SourceType::Wallet {
                        prop_assert!(req.source.from_address.is_some() && req.source.from_chain_name.is_some());
                    }
                }
                Err(RequestError::Invalid(errors)) => prop_assert!(!errors.is_empty()),
                Err(RequestError::Malformed(message)) => prop_assert!(!message.is_empty()),
            }
        }
    }
}
