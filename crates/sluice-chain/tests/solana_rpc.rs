//! Sluice's Solana JSON-RPC client against a node running Solana's real runtime
//! (sluice-solana-testnode): the network's genesis hash, commitment-aware slots, recent
//! blockhashes and their expiry, balances of lamports and of token accounts (absent ones
//! included), signature statuses in batches of 256, and `getTransaction` at the configured
//! commitment with its balances, error and reference key.

use std::time::Duration;

use sluice_chain::solana::pubkey::TOKEN_PROGRAM;
use sluice_chain::solana::transaction::{
    TokenTransfer, create_associated_account_idempotent, system_transfer, transfer_checked,
    unsigned_transaction,
};
use sluice_chain::solana::{Pubkey, SolanaRpc};
use sluice_solana_testnode::node::{BLOCKHASH_BLOCKS, FINALITY};
use sluice_solana_testnode::{SolanaNode, Wallet};

const GENESIS: [u8; 32] = [5; 32];

async fn node_and_client(commitment: &str) -> (SolanaNode, SolanaRpc) {
    let node = SolanaNode::start(GENESIS).await;
    let rpc = SolanaRpc::new(&node.url, commitment, Duration::from_secs(10));
    (node, rpc)
}

fn merchant() -> Pubkey {
    Pubkey(Wallet::new(42).pubkey())
}

/// A SOL payment of `lamports` from `payer` to the merchant for `flow`, unsigned.
async fn sol_payment(rpc: &SolanaRpc, payer: &Wallet, lamports: u64, flow: &str) -> Vec<u8> {
    let from = Pubkey(payer.pubkey());
    let ix = system_transfer(from, merchant(), lamports, Pubkey::reference_for(flow));
    let recent = rpc.latest_blockhash().await.unwrap();
    unsigned_transaction(from, &[ix], recent.blockhash)
}

#[tokio::test]
async fn the_node_names_its_network_and_counts_slots_by_commitment() {
    let (node, finalized) = node_and_client("finalized").await;
    let confirmed = SolanaRpc::new(&node.url, "confirmed", Duration::from_secs(10));
    assert_eq!(
        finalized.genesis_hash().await.unwrap(),
        bs58::encode(GENESIS).into_string()
    );
    node.advance(FINALITY + 10);
    let head = node.slot();
    assert_eq!(confirmed.slot().await.unwrap(), head - 1);
    assert_eq!(finalized.slot().await.unwrap(), head - FINALITY);
    assert_eq!(finalized.block_height().await.unwrap(), head - FINALITY);
}

#[tokio::test]
async fn a_payment_is_seen_at_the_configured_commitment_with_its_balances() {
    let (node, rpc) = node_and_client("finalized").await;
    let payer = Wallet::new(1);
    node.with_runtime(|chain| chain.airdrop(&payer.pubkey(), 1_000_000_000));
    assert_eq!(rpc.balance(&payer.address()).await.unwrap(), 1_000_000_000);
    let tx = sol_payment(&rpc, &payer, 300_000_000, "flow_1").await;
    let sent = payer.sign_and_send(&node.url, &tx, false).await;
    let signature = sent["result"].as_str().expect("sent").to_owned();
    let status = rpc
        .signature_statuses(std::slice::from_ref(&signature))
        .await
        .unwrap();
    let status = status[0].as_ref().expect("known at once");
    assert_eq!(status.confirmation_status.as_deref(), Some("processed"));
    assert_eq!(
        rpc.transaction(&signature).await.unwrap(),
        None,
        "not final yet"
    );
    node.advance(FINALITY);
    let view = rpc.transaction(&signature).await.unwrap().expect("final");
    assert_eq!(view.meta.err, None);
    let keys = &view.transaction.message.account_keys;
    let merchant_at = keys
        .iter()
        .position(|k| *k == merchant().to_string())
        .unwrap();
    let gained = view.meta.post_balances[merchant_at] - view.meta.pre_balances[merchant_at];
    assert_eq!(gained, 300_000_000);
    assert!(keys.contains(&Pubkey::reference_for("flow_1").to_string()));
    let status = rpc.signature_statuses(&[signature]).await.unwrap();
    assert_eq!(
        status[0].as_ref().unwrap().confirmation_status.as_deref(),
        Some("finalized")
    );
}

#[tokio::test]
async fn token_balances_and_failed_transactions_read_as_a_node_shows_them() {
    let (node, rpc) = node_and_client("confirmed").await;
    let payer = Wallet::new(2);
    let mint = Pubkey([7; 32]);
    node.with_runtime(|chain| {
        chain.airdrop(&payer.pubkey(), 1_000_000_000);
        chain.create_mint(&mint.0, 6);
        chain.give_tokens(&payer.pubkey(), &mint.0, 40_000_000);
    });
    let program = Pubkey::parse(TOKEN_PROGRAM).unwrap();
    let merchant_account = Pubkey::associated_token_account(&merchant(), &mint, &program);
    let merchant_text = merchant_account.to_string();
    assert_eq!(
        rpc.token_account_balance(&merchant_text).await.unwrap(),
        None
    );
    let pay = |amount| TokenTransfer {
        owner: Pubkey(payer.pubkey()),
        recipient: merchant(),
        mint,
        token_program: program,
        amount,
        decimals: 6,
    };
    let mut signatures = Vec::new();
    // 25 USDC, then 30 more than the 15 left: preflight refuses it; sent without preflight it
    // lands failed, its fee paid.
    for (amount, skip_preflight) in [(25_000_000, false), (30_000_000, false), (30_000_000, true)] {
        let recent = rpc.latest_blockhash().await.unwrap();
        let from = Pubkey(payer.pubkey());
        let ixs = [
            create_associated_account_idempotent(from, merchant(), mint, program),
            transfer_checked(&pay(amount), Pubkey::reference_for("flow_t")),
        ];
        let tx = unsigned_transaction(from, &ixs, recent.blockhash);
        let sent = payer.sign_and_send(&node.url, &tx, skip_preflight).await;
        match sent["result"].as_str() {
            Some(signature) => signatures.push(signature.to_owned()),
            None => assert_eq!(sent["error"]["code"], -32002, "{sent}"),
        }
        node.advance(1);
    }
    assert_eq!(signatures.len(), 2);
    assert_eq!(
        rpc.token_account_balance(&merchant_text).await.unwrap(),
        Some(25_000_000)
    );
    let paid = rpc.transaction(&signatures[0]).await.unwrap().unwrap();
    let post = &paid.meta.post_token_balances;
    let merchant_post = post
        .iter()
        .find(|b| b.owner == Some(merchant().to_string()))
        .unwrap();
    assert_eq!(merchant_post.ui_token_amount.amount, "25000000");
    assert_eq!(merchant_post.mint, mint.to_string());
    let failed = rpc.transaction(&signatures[1]).await.unwrap().unwrap();
    let err = failed.meta.err.expect("failed in its block");
    assert_eq!(
        err["InstructionError"][0], 1,
        "the transfer, not the create: {err}"
    );
    let statuses = rpc.signature_statuses(&signatures).await.unwrap();
    assert!(statuses[1].as_ref().unwrap().err.is_some());
}

#[tokio::test]
async fn statuses_go_256_a_call_and_unknown_signatures_are_none() {
    let (node, rpc) = node_and_client("finalized").await;
    let unknown: Vec<String> = (0..600u32)
        .map(|i| {
            let mut bytes = [0u8; 64];
            bytes[..4].copy_from_slice(&i.to_le_bytes());
            bs58::encode(bytes).into_string()
        })
        .collect();
    node.reset_calls();
    let statuses = rpc.signature_statuses(&unknown).await.unwrap();
    assert_eq!(statuses.len(), 600);
    assert!(statuses.iter().all(Option::is_none));
    assert_eq!(
        node.calls()["getSignatureStatuses"],
        3,
        "600 signatures: 256 + 256 + 88"
    );
}

#[tokio::test]
async fn a_blockhash_expires_after_its_blocks() {
    let (node, rpc) = node_and_client("finalized").await;
    let payer = Wallet::new(3);
    node.with_runtime(|chain| chain.airdrop(&payer.pubkey(), 1_000_000_000));
    let recent = rpc.latest_blockhash().await.unwrap();
    assert_eq!(
        recent.last_valid_block_height,
        node.slot() + BLOCKHASH_BLOCKS
    );
    let ix = system_transfer(
        Pubkey(payer.pubkey()),
        merchant(),
        1_000,
        Pubkey::reference_for("flow_late"),
    );
    let tx = unsigned_transaction(Pubkey(payer.pubkey()), &[ix], recent.blockhash);
    node.advance(BLOCKHASH_BLOCKS + 1);
    let sent = payer.sign_and_send(&node.url, &tx, true).await;
    let message = sent["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("BlockhashNotFound"), "{sent}");
    let fresh = rpc.latest_blockhash().await.unwrap();
    assert_ne!(fresh.blockhash, recent.blockhash);
}
