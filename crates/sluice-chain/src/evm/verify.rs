//! Does a mined EVM transaction pay what the quote asked? The receipt succeeded and the
//! transfer matches token, recipient, amount and sender. Pure functions over what the node
//! returned, so every rule is unit-testable.

use super::erc20::{TRANSFER_TOPIC, topic_address, trim_word};
use super::rpc::{Receipt, Transaction, parse_quantity};
use crate::settlement::{ExpectedTransfer, Mismatch};

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Checks a mined transaction against the expectation. `tx` is the transaction itself (needed
/// for native value transfers).
pub fn verify(
    expected: &ExpectedTransfer<'_>,
    receipt: &Receipt,
    tx: &Transaction,
) -> Result<u128, Mismatch> {
    if !receipt.success {
        return Err(Mismatch::Reverted);
    }
    if !same(&tx.from, expected.from) {
        return Err(Mismatch::WrongSender {
            actual: tx.from.clone(),
        });
    }
    match expected.token {
        None => {
            let to = tx.to.clone().unwrap_or_default();
            if !same(&to, expected.to) {
                return Err(Mismatch::WrongRecipient { actual: to });
            }
            if tx.value < expected.min_amount {
                return Err(Mismatch::TooLittle { actual: tx.value });
            }
            Ok(tx.value)
        }
        Some(token) => verify_erc20(expected, token, receipt),
    }
}

fn verify_erc20(
    expected: &ExpectedTransfer<'_>,
    token: &str,
    receipt: &Receipt,
) -> Result<u128, Mismatch> {
    let transfers: Vec<(String, String, String, u128)> = receipt
        .logs
        .iter()
        .filter(|l| l.topics.len() == 3 && same(&l.topics[0], TRANSFER_TOPIC))
        .filter_map(|l| {
            let from = topic_address(&l.topics[1])?;
            let to = topic_address(&l.topics[2])?;
            let amount = parse_quantity(&serde_json::Value::String(trim_word(&l.data))).ok()?;
            Some((l.address.clone(), from, to, amount))
        })
        .collect();
    let paid: u128 = transfers
        .iter()
        .filter(|(t, from, to, _)| {
            same(t, token) && same(from, expected.from) && same(to, expected.to)
        })
        .map(|(_, _, _, amount)| *amount)
        .sum();
    if paid >= expected.min_amount && paid > 0 {
        return Ok(paid);
    }
    // Explain the most specific reason.
    if paid > 0 {
        return Err(Mismatch::TooLittle { actual: paid });
    }
    if let Some((t, ..)) = transfers
        .iter()
        .find(|(t, _, to, _)| !same(t, token) && same(to, expected.to))
    {
        return Err(Mismatch::WrongToken { actual: t.clone() });
    }
    if let Some((_, _, to, _)) = transfers
        .iter()
        .find(|(t, from, _, _)| same(t, token) && same(from, expected.from))
    {
        return Err(Mismatch::WrongRecipient { actual: to.clone() });
    }
    if let Some((t, ..)) = transfers.first() {
        return Err(Mismatch::WrongToken { actual: t.clone() });
    }
    Err(Mismatch::NoTransfer)
}
