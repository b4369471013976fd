//! Unsigned Solana transactions in the wire format wallets sign (spec §10.3): a legacy message
//! (header, account keys, recent blockhash, compiled instructions) behind one empty signature
//! slot for the fee payer. Written by hand, like TRON's protobuf, because the format is small
//! and fixed and the Solana SDK crates would more than double the server's build.

use super::pubkey::{ASSOCIATED_TOKEN_PROGRAM, Pubkey, SYSTEM_PROGRAM};

/// An account an instruction touches, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountMeta {
    pub key: Pubkey,
    pub signer: bool,
    pub writable: bool,
}

impl AccountMeta {
    pub fn writable(key: Pubkey, signer: bool) -> Self {
        Self {
            key,
            signer,
            writable: true,
        }
    }

    pub fn readonly(key: Pubkey, signer: bool) -> Self {
        Self {
            key,
            signer,
            writable: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    pub program: Pubkey,
    pub accounts: Vec<AccountMeta>,
    pub data: Vec<u8>,
}

/// The System program's `Transfer` of `lamports` from `from` to `to`, listing `reference`.
pub fn system_transfer(from: Pubkey, to: Pubkey, lamports: u64, reference: Pubkey) -> Instruction {
    let mut data = 2u32.to_le_bytes().to_vec();
    data.extend_from_slice(&lamports.to_le_bytes());
    Instruction {
        program: Pubkey::program(SYSTEM_PROGRAM),
        accounts: vec![
            AccountMeta::writable(from, true),
            AccountMeta::writable(to, false),
            AccountMeta::readonly(reference, false),
        ],
        data,
    }
}

/// The associated-token-account program's `CreateIdempotent`: creates `owner`'s account for
/// `mint` (paid by `payer`) unless it exists, so a first payment to a merchant cannot fail.
pub fn create_associated_account_idempotent(
    payer: Pubkey,
    owner: Pubkey,
    mint: Pubkey,
    token_program: Pubkey,
) -> Instruction {
    let account = Pubkey::associated_token_account(&owner, &mint, &token_program);
    Instruction {
        program: Pubkey::program(ASSOCIATED_TOKEN_PROGRAM),
        accounts: vec![
            AccountMeta::writable(payer, true),
            AccountMeta::writable(account, false),
            AccountMeta::readonly(owner, false),
            AccountMeta::readonly(mint, false),
            AccountMeta::readonly(Pubkey::program(SYSTEM_PROGRAM), false),
            AccountMeta::readonly(token_program, false),
        ],
        data: vec![1],
    }
}

/// What an SPL `TransferChecked` moves: `amount` base units of `mint` (of `decimals`) from
/// `owner`'s associated account to `recipient`'s.
#[derive(Clone, Copy, Debug)]
pub struct TokenTransfer {
    pub owner: Pubkey,
    pub recipient: Pubkey,
    pub mint: Pubkey,
    pub token_program: Pubkey,
    pub amount: u64,
    pub decimals: u8,
}

/// The token program's `TransferChecked` (instruction 12) between the two associated
/// accounts, listing `reference`.
pub fn transfer_checked(t: &TokenTransfer, reference: Pubkey) -> Instruction {
    let source = Pubkey::associated_token_account(&t.owner, &t.mint, &t.token_program);
    let destination = Pubkey::associated_token_account(&t.recipient, &t.mint, &t.token_program);
    let mut data = vec![12];
    data.extend_from_slice(&t.amount.to_le_bytes());
    data.push(t.decimals);
    Instruction {
        program: t.token_program,
        accounts: vec![
            AccountMeta::writable(source, false),
            AccountMeta::readonly(t.mint, false),
            AccountMeta::writable(destination, false),
            AccountMeta::readonly(t.owner, true),
            AccountMeta::readonly(reference, false),
        ],
        data,
    }
}

/// The unsigned transaction a payer signs: base64 of this is P6's `serializedTransaction`.
pub fn unsigned_transaction(
    payer: Pubkey,
    instructions: &[Instruction],
    blockhash: [u8; 32],
) -> Vec<u8> {
    let message = compile_message(payer, instructions, blockhash);
    let signers = usize::from(message[0]);
    let mut out = Vec::with_capacity(1 + 64 * signers + message.len());
    compact_u16(&mut out, signers);
    out.resize(out.len() + 64 * signers, 0);
    out.extend_from_slice(&message);
    out
}

/// A legacy message: accounts ordered fee payer first, then writable signers, read-only
/// signers, writable others, read-only others (the order the header's counts describe);
/// within a group, in order of first use.
pub fn compile_message(
    payer: Pubkey,
    instructions: &[Instruction],
    blockhash: [u8; 32],
) -> Vec<u8> {
    let mut metas = vec![AccountMeta::writable(payer, true)];
    let uses = instructions.iter().flat_map(|ix| {
        ix.accounts
            .iter()
            .copied()
            .chain([AccountMeta::readonly(ix.program, false)])
    });
    for meta in uses {
        match metas.iter_mut().find(|m| m.key == meta.key) {
            Some(known) => {
                known.signer |= meta.signer;
                known.writable |= meta.writable;
            }
            None => metas.push(meta),
        }
    }
    let rank = |m: &AccountMeta| match (m.signer, m.writable) {
        (true, true) => 0,
        (true, false) => 1,
        (false, true) => 2,
        (false, false) => 3,
    };
    // A stable sort keeps the payer first (it ranks 0 and comes first) and first-use order.
    metas.sort_by_key(rank);
    let count = |signer: bool, writable: bool| {
        metas
            .iter()
            .filter(|m| m.signer == signer && m.writable == writable)
            .count() as u8
    };
    let mut out = vec![
        metas.iter().filter(|m| m.signer).count() as u8,
        count(true, false),
        count(false, false),
    ];
    compact_u16(&mut out, metas.len());
    for meta in &metas {
        out.extend_from_slice(&meta.key.0);
    }
    out.extend_from_slice(&blockhash);
    let index = |key: &Pubkey| metas.iter().position(|m| m.key == *key).expect("listed") as u8;
    compact_u16(&mut out, instructions.len());
    for ix in instructions {
        out.push(index(&ix.program));
        compact_u16(&mut out, ix.accounts.len());
        out.extend(ix.accounts.iter().map(|m| index(&m.key)));
        compact_u16(&mut out, ix.data.len());
        out.extend_from_slice(&ix.data);
    }
    out
}

/// Solana's "compact-u16": 7 bits a byte, low first, the high bit saying more follows.
fn compact_u16(out: &mut Vec<u8>, value: usize) {
    let mut rest = u16::try_from(value).expect("a message's counts fit in u16");
    loop {
        let low = (rest & 0x7f) as u8;
        rest >>= 7;
        if rest == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_u16_is_solanas_short_vec() {
        for (value, bytes) in [
            (0, vec![0]),
            (0x7f, vec![0x7f]),
            (0x80, vec![0x80, 1]),
            (0x3fff, vec![0xff, 0x7f]),
            (0x4000, vec![0x80, 0x80, 1]),
        ] {
            let mut out = Vec::new();
            compact_u16(&mut out, value);
            assert_eq!(out, bytes, "{value:#x}");
        }
    }

    #[test]
    fn a_sol_transfer_lists_the_payer_first_and_the_reference_read_only() {
        let payer = Pubkey([1; 32]);
        let to = Pubkey([2; 32]);
        let reference = Pubkey([3; 32]);
        let tx = unsigned_transaction(payer, &[system_transfer(payer, to, 5, reference)], [9; 32]);
        assert_eq!(tx[0], 1, "one signature slot");
        assert!(
            tx[1..65].iter().all(|&b| b == 0),
            "left empty for the wallet"
        );
        let message = &tx[65..];
        // One signer, no read-only signer, two read-only others (reference, System program).
        assert_eq!(&message[..4], &[1, 0, 2, 4]);
        let keys: Vec<&[u8]> = message[4..4 + 4 * 32].chunks(32).collect();
        assert_eq!(keys, [&[1; 32][..], &[2; 32], &[3; 32], &[0; 32]]);
        let rest = &message[4 + 4 * 32..];
        assert_eq!(&rest[..32], &[9; 32], "the blockhash");
        // One instruction: program 3, accounts 0 1 2, 12 bytes of data (2, then 5 lamports).
        assert_eq!(&rest[32..38], &[1, 3, 3, 0, 1, 2]);
        assert_eq!(&rest[38..], &[12, 2, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]);
    }
}
