//! A landed Solana transaction judged against what its flow expects (spec §10.3): it
//! succeeded, it lists the flow's reference key, its fee payer is the attached wallet, and
//! the destination gained at least the quoted amount: lamports from the balances before and
//! after (`preBalances`/`postBalances`), an SPL token from the token balances of the
//! destination's accounts of the mint (`pre/postTokenBalances`, by owner). Reading balances,
//! not instructions, counts what moved whatever program moved it.

use super::pubkey::Pubkey;
use super::rpc::{TokenBalance, TransactionView};
use crate::settlement::{ExpectedTransfer, Mismatch};

/// The verdict on `tx` (already at the configured commitment).
pub fn judge(tx: &TransactionView, expected: &ExpectedTransfer<'_>) -> Result<u128, Mismatch> {
    if tx.meta.err.is_some() {
        return Err(Mismatch::Reverted);
    }
    let keys = &tx.transaction.message.account_keys;
    let reference = Pubkey::reference_for(expected.flow_id).to_string();
    if !keys.contains(&reference) {
        return Err(Mismatch::Unreferenced);
    }
    let payer = keys.first().cloned().unwrap_or_default();
    if payer != expected.from {
        return Err(Mismatch::WrongSender { actual: payer });
    }
    match expected.token {
        None => judge_lamports(tx, expected),
        Some(mint) => judge_tokens(tx, mint, expected),
    }
}

fn judge_lamports(tx: &TransactionView, expected: &ExpectedTransfer<'_>) -> Result<u128, Mismatch> {
    let keys = &tx.transaction.message.account_keys;
    let (pre, post) = (&tx.meta.pre_balances, &tx.meta.post_balances);
    let gain = |i: usize| {
        let before = pre.get(i).copied().unwrap_or(0);
        post.get(i).copied().unwrap_or(0).saturating_sub(before)
    };
    let received = keys
        .iter()
        .position(|k| k == expected.to)
        .map_or(0, |i| u128::from(gain(i)));
    if received >= expected.min_amount {
        return Ok(received);
    }
    if received > 0 {
        return Err(Mismatch::TooLittle { actual: received });
    }
    // Nothing reached the destination: name who gained lamports instead, if anyone did.
    let gainer = (1..keys.len())
        .filter(|&i| gain(i) > 0)
        .max_by_key(|&i| gain(i));
    Err(match gainer {
        Some(i) => Mismatch::WrongRecipient {
            actual: keys[i].clone(),
        },
        None => Mismatch::NoTransfer,
    })
}

/// Base units of each token account's change, by (mint, owner).
fn token_gains(tx: &TransactionView) -> Vec<(String, String, i128)> {
    let amount = |b: &TokenBalance| b.ui_token_amount.amount.parse::<i128>().unwrap_or(0);
    let mut gains: Vec<(usize, String, String, i128)> = tx
        .meta
        .post_token_balances
        .iter()
        .map(|b| {
            let owner = b.owner.clone().unwrap_or_default();
            (b.account_index, b.mint.clone(), owner, amount(b))
        })
        .collect();
    for before in &tx.meta.pre_token_balances {
        match gains.iter_mut().find(|g| g.0 == before.account_index) {
            Some(g) => g.3 -= amount(before),
            None => {
                let owner = before.owner.clone().unwrap_or_default();
                gains.push((
                    before.account_index,
                    before.mint.clone(),
                    owner,
                    -amount(before),
                ));
            }
        }
    }
    gains.into_iter().map(|(_, m, o, g)| (m, o, g)).collect()
}

fn judge_tokens(
    tx: &TransactionView,
    mint: &str,
    expected: &ExpectedTransfer<'_>,
) -> Result<u128, Mismatch> {
    let gains = token_gains(tx);
    let received: i128 = gains
        .iter()
        .filter(|(m, o, _)| m == mint && o == expected.to)
        .map(|(.., g)| *g)
        .sum();
    let received = u128::try_from(received).unwrap_or(0);
    if received >= expected.min_amount {
        return Ok(received);
    }
    if received > 0 {
        return Err(Mismatch::TooLittle { actual: received });
    }
    let credited = |m: &&(String, String, i128)| m.2 > 0;
    if let Some((_, owner, _)) = gains.iter().filter(credited).find(|(m, ..)| m == mint) {
        return Err(Mismatch::WrongRecipient {
            actual: owner.clone(),
        });
    }
    Err(match gains.iter().find(credited) {
        Some((other, ..)) => Mismatch::WrongToken {
            actual: other.clone(),
        },
        None => Mismatch::NoTransfer,
    })
}

#[cfg(test)]
mod tests;
