//! The verdicts on transactions as a node's `getTransaction` shows them; the runtime-backed
//! cases (real transactions) are in `tests/solana_*.rs` and the server's tests.

use serde_json::json;

use super::*;

const PAYER: &str = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";
const SHOP: &str = "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T";
const OTHER: &str = "GsbwXfJraMomNxBcjYLcG3mxkBUiyWXAB32fGbSMQRdW";
const USDC: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
const FLOW: &str = "flow_1";

fn expected(token: Option<&'static str>, min_amount: u128) -> ExpectedTransfer<'static> {
    ExpectedTransfer {
        flow_id: FLOW,
        token,
        from: PAYER,
        to: SHOP,
        min_amount,
    }
}

fn reference() -> String {
    Pubkey::reference_for(FLOW).to_string()
}

/// A transaction over `keys` whose lamports went from `pre` to `post`.
fn lamports(keys: &[String], pre: &[u64], post: &[u64], err: serde_json::Value) -> TransactionView {
    serde_json::from_value(json!({
        "slot": 7,
        "meta": {"err": err, "preBalances": pre, "postBalances": post,
            "preTokenBalances": [], "postTokenBalances": []},
        "transaction": {"signatures": ["s"], "message": {"accountKeys": keys}}
    }))
    .unwrap()
}

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|k| (*k).to_owned()).collect()
}

#[test]
fn a_sol_payment_counts_what_the_destination_gained() {
    let r = reference();
    let k = keys(&[PAYER, SHOP, &r, "11111111111111111111111111111111"]);
    let tx = lamports(
        &k,
        &[10_000, 1_000, 1, 1],
        &[4_000, 6_000, 1, 1],
        json!(null),
    );
    assert_eq!(judge(&tx, &expected(None, 5_000)), Ok(5_000));
    assert_eq!(
        judge(&tx, &expected(None, 5_001)),
        Err(Mismatch::TooLittle { actual: 5_000 })
    );
    let failed = lamports(
        &k,
        &[10_000, 1_000, 1, 1],
        &[5_000, 1_000, 1, 1],
        json!({"InstructionError": [0, {"Custom": 1}]}),
    );
    assert_eq!(judge(&failed, &expected(None, 1)), Err(Mismatch::Reverted));
}

#[test]
fn a_transaction_without_the_flows_reference_pays_nothing_to_it() {
    let other_flow = Pubkey::reference_for("flow_2").to_string();
    let k = keys(&[PAYER, SHOP, &other_flow]);
    let tx = lamports(&k, &[10_000, 0, 1], &[4_000, 6_000, 1], json!(null));
    assert_eq!(judge(&tx, &expected(None, 1)), Err(Mismatch::Unreferenced));
}

#[test]
fn the_sender_and_recipient_are_named_when_wrong() {
    let r = reference();
    let tx = lamports(
        &keys(&[OTHER, SHOP, &r]),
        &[9, 0, 1],
        &[0, 9, 1],
        json!(null),
    );
    assert_eq!(
        judge(&tx, &expected(None, 1)),
        Err(Mismatch::WrongSender {
            actual: OTHER.into()
        })
    );
    let tx = lamports(
        &keys(&[PAYER, OTHER, &r]),
        &[9, 0, 1],
        &[0, 9, 1],
        json!(null),
    );
    assert_eq!(
        judge(&tx, &expected(None, 1)),
        Err(Mismatch::WrongRecipient {
            actual: OTHER.into()
        })
    );
}

fn tokens(pre: serde_json::Value, post: serde_json::Value) -> TransactionView {
    let r = reference();
    serde_json::from_value(json!({
        "slot": 7,
        "meta": {"err": null, "preBalances": [0, 0, 0, 0], "postBalances": [0, 0, 0, 0],
            "preTokenBalances": pre, "postTokenBalances": post},
        "transaction": {"signatures": ["s"], "message": {"accountKeys": [PAYER, "a1", "a2", r]}}
    }))
    .unwrap()
}

fn balance(index: usize, mint: &str, owner: &str, amount: u64) -> serde_json::Value {
    json!({"accountIndex": index, "mint": mint, "owner": owner,
        "uiTokenAmount": {"amount": amount.to_string(), "decimals": 6}})
}

#[test]
fn a_token_payment_counts_the_destinations_account_of_the_mint() {
    // The destination's account is created by the transaction: no balance before.
    let tx = tokens(
        json!([balance(1, USDC, PAYER, 9_000_000)]),
        json!([
            balance(1, USDC, PAYER, 4_000_000),
            balance(2, USDC, SHOP, 5_000_000)
        ]),
    );
    assert_eq!(judge(&tx, &expected(Some(USDC), 5_000_000)), Ok(5_000_000));
    assert_eq!(
        judge(&tx, &expected(Some(USDC), 5_000_001)),
        Err(Mismatch::TooLittle { actual: 5_000_000 })
    );
    let elsewhere = tokens(
        json!([balance(1, USDC, PAYER, 9), balance(2, USDC, OTHER, 0)]),
        json!([balance(1, USDC, PAYER, 0), balance(2, USDC, OTHER, 9)]),
    );
    assert_eq!(
        judge(&elsewhere, &expected(Some(USDC), 1)),
        Err(Mismatch::WrongRecipient {
            actual: OTHER.into()
        })
    );
    let other_mint = tokens(
        json!([balance(1, OTHER, PAYER, 9), balance(2, OTHER, SHOP, 0)]),
        json!([balance(1, OTHER, PAYER, 0), balance(2, OTHER, SHOP, 9)]),
    );
    assert_eq!(
        judge(&other_mint, &expected(Some(USDC), 1)),
        Err(Mismatch::WrongToken {
            actual: OTHER.into()
        })
    );
    assert_eq!(
        judge(&tokens(json!([]), json!([])), &expected(Some(USDC), 1)),
        Err(Mismatch::NoTransfer)
    );
}
