//! Reading the bodies of P5 (quote), P6 (prepare) and P7 (broadcast). An empty body means `{}`.

use serde_json::{Map, Value};

use crate::money::check_amount;
use crate::request::{FieldErrors, Fields, RequestError};
use crate::state::FlowMode;

#[derive(Debug, Clone, PartialEq)]
pub struct QuoteRequest {
    pub from_token_address: Option<String>,
    pub from_chain_id: Option<String>,
    /// A fraction: 0.005 is 0.5 %. Recorded for swaps; direct payments ignore it.
    pub slippage: Option<f64>,
    /// `deposit` mode only: the amount the payer chose.
    pub amount: Option<String>,
}

pub fn parse_quote(
    body: &Map<String, Value>,
    mode: FlowMode,
) -> Result<QuoteRequest, RequestError> {
    let f = Fields::root(body);
    let mut errors = FieldErrors::default();
    let from_token_address = f.str("fromTokenAddress")?;
    if from_token_address.is_some_and(|t| t.is_empty() || t.len() > 255) {
        errors.push("fromTokenAddress", "too_long", "must be 1-255 characters");
    }
    let from_chain_id = f.str("fromChainId")?;
    if from_chain_id.is_some_and(|c| !crate::chain::is_name(c, 50)) {
        errors.push(
            "fromChainId",
            "pattern",
            "must be 1-50 characters of the name pattern",
        );
    }
    let slippage = match body.get("slippage").filter(|v| !v.is_null()) {
        None => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => {
            return Err(RequestError::Malformed(
                "`slippage` must be a number".into(),
            ));
        }
    };
    if slippage.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
        errors.push(
            "slippage",
            "out_of_range",
            "must be a fraction between 0 and 1",
        );
    }
    let amount = f.str("amount")?;
    match amount {
        Some(_) if mode != FlowMode::Deposit => errors.push(
            "amount",
            "not_allowed_for_mode",
            "only deposit flows let the payer choose the amount",
        ),
        Some(a) => {
            if let Err(e) = check_amount(a) {
                errors.push("amount", e.code(), e.message());
            }
        }
        None => {}
    }
    errors.finish(|| QuoteRequest {
        from_token_address: from_token_address.map(str::to_owned),
        from_chain_id: from_chain_id.map(str::to_owned),
        slippage,
        amount: amount.map(str::to_owned),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrepareRequest {
    pub assert_balance_for_gas_cost: bool,
    pub assert_balance_for_transfer_amount: bool,
}

pub fn parse_prepare(body: &Map<String, Value>) -> Result<PrepareRequest, RequestError> {
    let f = Fields::root(body);
    Ok(PrepareRequest {
        assert_balance_for_gas_cost: f.bool("assertBalanceForGasCost")?.unwrap_or(false),
        assert_balance_for_transfer_amount: f
            .bool("assertBalanceForTransferAmount")?
            .unwrap_or(false),
    })
}

/// Which transaction hash P7 must carry: a wallet payment's, in its chain family's form, or
/// any text (deposit-address and exchange payers, whose hash is informational).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletHash {
    Any,
    /// `0x` + 64 hex digits.
    Evm,
    /// A txid: 64 hex digits.
    Bitcoin,
    /// A txID: 64 hex digits (sha256 of the transaction's `raw_data`).
    Tron,
    /// A signature: base58 of 64 bytes, kept as written (base58's case is meaningful).
    Solana,
}

/// P7's `txHash`: at most 4096 characters; for a wallet payment required, in its family's form
/// (returned lower-cased).
pub fn parse_broadcast(
    body: &Map<String, Value>,
    wallet: WalletHash,
) -> Result<Option<String>, RequestError> {
    let f = Fields::root(body);
    let mut errors = FieldErrors::default();
    let tx_hash = f.str("txHash")?;
    let expected = match wallet {
        WalletHash::Any => None,
        WalletHash::Evm => Some((
            is_evm_tx_hash as fn(&str) -> bool,
            "must be 0x followed by 64 hex digits (an EVM transaction hash)",
        )),
        WalletHash::Bitcoin => Some((
            is_bitcoin_txid as fn(&str) -> bool,
            "must be 64 hex digits (a Bitcoin txid)",
        )),
        WalletHash::Tron => Some((
            is_bitcoin_txid as fn(&str) -> bool,
            "must be 64 hex digits (a TRON txID)",
        )),
        WalletHash::Solana => Some((
            is_solana_signature as fn(&str) -> bool,
            "must be a base58 transaction signature (64 bytes)",
        )),
    };
    match (tx_hash, expected) {
        (None, Some(_)) => errors.push("txHash", "required", "is required for a wallet source"),
        (Some(h), _) if h.len() > 4096 => {
            errors.push("txHash", "too_long", "must be at most 4096 characters")
        }
        (Some(h), Some((fits, why))) if !fits(h) => errors.push("txHash", "pattern", why),
        _ => {}
    }
    let normalized = tx_hash.map(|h| match (expected, wallet) {
        (Some(_), WalletHash::Solana) | (None, _) => h.to_owned(),
        (Some(_), _) => h.to_ascii_lowercase(),
    });
    errors.finish(|| normalized)
}

/// 64 hex digits: a Bitcoin txid, a TRON txID.
pub fn is_bitcoin_txid(h: &str) -> bool {
    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Base58 of exactly 64 bytes: a Solana transaction signature.
pub fn is_solana_signature(h: &str) -> bool {
    (64..=88).contains(&h.len()) && bs58::decode(h).into_vec().is_ok_and(|b| b.len() == 64)
}

pub fn is_evm_tx_hash(h: &str) -> bool {
    h.len() == 66 && h.starts_with("0x") && h[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_object;

    #[test]
    fn quote_bodies() {
        let body = parse_object(
            br#"{"fromTokenAddress":"0x0","fromChainId":"1","slippage":0.005}"#,
            true,
        )
        .unwrap();
        assert_eq!(
            parse_quote(&body, FlowMode::Payment).unwrap().slippage,
            Some(0.005)
        );
        let body = parse_object(br#"{"amount":"5"}"#, true).unwrap();
        assert!(
            matches!(parse_quote(&body, FlowMode::Payment), Err(RequestError::Invalid(e)) if e[0].code == "not_allowed_for_mode")
        );
        assert_eq!(
            parse_quote(&body, FlowMode::Deposit)
                .unwrap()
                .amount
                .as_deref(),
            Some("5")
        );
        let body = parse_object(br#"{"slippage":"0.5"}"#, true).unwrap();
        assert!(matches!(
            parse_quote(&body, FlowMode::Payment),
            Err(RequestError::Malformed(_))
        ));
    }

    #[test]
    fn broadcast_bodies() {
        let hash = format!("0x{}", "Ab".repeat(32));
        let body = parse_object(format!(r#"{{"txHash":"{hash}"}}"#).as_bytes(), true).unwrap();
        assert_eq!(
            parse_broadcast(&body, WalletHash::Evm).unwrap(),
            Some(hash.to_ascii_lowercase())
        );
        assert!(
            parse_broadcast(&body, WalletHash::Bitcoin).is_err(),
            "0x is not a txid"
        );
        let txid = "Cd".repeat(32);
        let bitcoin = parse_object(format!(r#"{{"txHash":"{txid}"}}"#).as_bytes(), true).unwrap();
        assert_eq!(
            parse_broadcast(&bitcoin, WalletHash::Bitcoin).unwrap(),
            Some(txid.to_ascii_lowercase())
        );
        assert!(parse_broadcast(&bitcoin, WalletHash::Evm).is_err());
        let empty = parse_object(b"", true).unwrap();
        assert!(parse_broadcast(&empty, WalletHash::Evm).is_err());
        assert!(parse_broadcast(&empty, WalletHash::Bitcoin).is_err());
        assert_eq!(parse_broadcast(&empty, WalletHash::Any).unwrap(), None);
        let short = parse_object(br#"{"txHash":"0x1234"}"#, true).unwrap();
        assert!(parse_broadcast(&short, WalletHash::Evm).is_err());
    }

    #[test]
    fn a_solana_signature_is_base58_of_64_bytes_kept_as_written() {
        let signature = bs58::encode([7u8; 64]).into_string();
        let body =
            |h: &str| parse_object(format!(r#"{{"txHash":"{h}"}}"#).as_bytes(), true).unwrap();
        assert_eq!(
            parse_broadcast(&body(&signature), WalletHash::Solana).unwrap(),
            Some(signature.clone()),
            "not lower-cased: base58's case is meaningful"
        );
        let short = bs58::encode([7u8; 32]).into_string();
        assert!(parse_broadcast(&body(&short), WalletHash::Solana).is_err());
        assert!(
            parse_broadcast(&body(&format!("0x{}", "ab".repeat(32))), WalletHash::Solana).is_err()
        );
    }
}
