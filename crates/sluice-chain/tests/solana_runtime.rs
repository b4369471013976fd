//! Sluice's unsigned Solana transactions, signed as a wallet signs them (ed25519 over the
//! message) and executed by Solana's real runtime (litesvm, through sluice-solana-testnode),
//! which reads them with Solana's own types and checks signature and blockhash: SOL and SPL
//! payments land with the flow's reference among their keys, the associated token accounts
//! Sluice derives are the ones Solana derives, and what a validator refuses is refused.

use ed25519_dalek::SigningKey;
use sluice_chain::solana::pubkey::{Pubkey, TOKEN_PROGRAM};
use sluice_chain::solana::transaction::{
    TokenTransfer, create_associated_account_idempotent, system_transfer, transfer_checked,
    unsigned_transaction,
};
use sluice_solana_testnode::{SolanaRuntime, Wallet};

const SOL: u64 = 1_000_000_000;

fn key(wallet: &Wallet) -> Pubkey {
    Pubkey(wallet.pubkey())
}

fn merchant() -> Pubkey {
    Pubkey(SigningKey::from_bytes(&[42; 32]).verifying_key().to_bytes())
}

#[test]
fn a_sol_payment_lands_with_its_reference() {
    let mut chain = SolanaRuntime::new();
    let payer = Wallet::new(1);
    chain.airdrop(&key(&payer).0, 2 * SOL);
    let reference = Pubkey::reference_for("flow_sol");
    let ix = system_transfer(key(&payer), merchant(), 250_000_000, reference);
    let tx = unsigned_transaction(key(&payer), &[ix], chain.latest_blockhash());
    let done = chain
        .send(&payer.sign(&tx))
        .expect("the runtime executes it");
    assert_eq!(chain.balance(&merchant().0), 250_000_000);
    assert!(
        done.account_keys.contains(&reference.0),
        "findable by its reference"
    );
    assert_eq!(
        chain.balance(&key(&payer).0),
        2 * SOL - 250_000_000 - done.fee
    );
}

#[test]
fn a_usdc_payment_creates_the_merchants_account_and_transfers_checked() {
    let mut chain = SolanaRuntime::new();
    let payer = Wallet::new(2);
    let mint = Pubkey([7; 32]);
    chain.airdrop(&key(&payer).0, SOL);
    chain.create_mint(&mint.0, 6);
    chain.give_tokens(&key(&payer).0, &mint.0, 100_000_000);
    let token_program = Pubkey::parse(TOKEN_PROGRAM).unwrap();
    for (n, flow) in ["flow_a", "flow_b"].into_iter().enumerate() {
        let transfer = TokenTransfer {
            owner: key(&payer),
            recipient: merchant(),
            mint,
            token_program,
            amount: 25_000_000,
            decimals: 6,
        };
        let reference = Pubkey::reference_for(flow);
        let ixs = [
            create_associated_account_idempotent(key(&payer), merchant(), mint, token_program),
            transfer_checked(&transfer, reference),
        ];
        let tx = unsigned_transaction(key(&payer), &ixs, chain.latest_blockhash());
        let done = chain
            .send(&payer.sign(&tx))
            .expect("the runtime executes it");
        assert!(done.account_keys.contains(&reference.0));
        // The second payment finds the account the first created: the create is idempotent.
        let paid = 25_000_000 * (n as u64 + 1);
        assert_eq!(chain.token_balance(&merchant().0, &mint.0), Some(paid));
    }
    assert_eq!(
        chain.token_balance(&key(&payer).0, &mint.0),
        Some(50_000_000)
    );
}

#[test]
fn associated_accounts_are_the_ones_solana_derives() {
    for seed in 0..20u8 {
        let owner = Pubkey([seed; 32]);
        let mint = Pubkey([seed.wrapping_mul(31).wrapping_add(5); 32]);
        let ours =
            Pubkey::associated_token_account(&owner, &mint, &Pubkey::parse(TOKEN_PROGRAM).unwrap());
        assert_eq!(ours.0, SolanaRuntime::associated_account(&owner.0, &mint.0));
    }
}

#[test]
fn the_runtime_refuses_what_a_validator_refuses() {
    let mut chain = SolanaRuntime::new();
    let payer = Wallet::new(3);
    let mint = Pubkey([8; 32]);
    chain.airdrop(&key(&payer).0, SOL);
    chain.create_mint(&mint.0, 6);
    chain.give_tokens(&key(&payer).0, &mint.0, 10);
    let reference = Pubkey::reference_for("flow_x");
    let pay = |blockhash| {
        let ix = system_transfer(key(&payer), merchant(), 1_000, reference);
        unsigned_transaction(key(&payer), &[ix], blockhash)
    };
    // Unsigned, signed by another key, or on an expired blockhash.
    let unsigned = pay(chain.latest_blockhash());
    assert!(chain.send(&unsigned).is_err(), "no signature");
    let forged = Wallet::new(9).forge(&pay(chain.latest_blockhash()));
    assert!(chain.send(&forged).is_err(), "another signer");
    let stale = pay(chain.latest_blockhash());
    chain.expire_blockhash();
    let error = chain.send(&payer.sign(&stale)).unwrap_err();
    assert!(error.contains("BlockhashNotFound"), "{error}");
    // A token transfer of the wrong decimals, or of more than the payer holds, fails.
    let token_program = Pubkey::parse(TOKEN_PROGRAM).unwrap();
    for (amount, decimals) in [(5, 9), (11, 6)] {
        let t = TokenTransfer {
            owner: key(&payer),
            recipient: merchant(),
            mint,
            token_program,
            amount,
            decimals,
        };
        let ixs = [
            create_associated_account_idempotent(key(&payer), merchant(), mint, token_program),
            transfer_checked(&t, reference),
        ];
        let tx = unsigned_transaction(key(&payer), &ixs, chain.latest_blockhash());
        let error = chain.send(&payer.sign(&tx)).unwrap_err();
        assert!(
            error.contains(r#"{"InstructionError":[1,"#),
            "{amount} at {decimals}: {error}"
        );
    }
    assert_eq!(chain.token_balance(&key(&payer).0, &mint.0), Some(10));
}
