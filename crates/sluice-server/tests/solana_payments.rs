//! Solana wallet payments end to end (spec §10.3) on Solana's real runtime behind a JSON-RPC
//! node (`sluice-solana-testnode`): attach a Solana wallet, quote, P6's
//! `serializedTransaction` signed with the payer's ed25519 key and sent to the node, which
//! checks signature and blockhash and executes it, P7's base58 signature, and the chain
//! watcher's verdict once the transaction is finalized. Both backends.

mod common;
#[path = "solana/world.rs"]
mod solana_world;

use common::Backend;
use common::deposit_world::states;
use serde_json::json;
use sluice_chain::solana::transaction::{TokenTransfer, system_transfer, transfer_checked};
use sluice_chain::solana::{Pubkey, SOL_TOKEN};
use solana_world::{FLOW_LAMPORTS, FLOW_USDC, SolanaWorld, USDC, signature_of};

both_backends!(
    sol_and_usdc_payments_settle_once_finalized,
    short_misdirected_failed_and_unreferenced_payments_fail,
);

/// The keys of an unsigned legacy transaction's message, base58.
fn account_keys(unsigned: &[u8]) -> Vec<String> {
    let message = &unsigned[1 + 64..];
    let count = usize::from(message[3]);
    message[4..4 + 32 * count]
        .chunks(32)
        .map(solana_world::b58)
        .collect()
}

async fn sol_and_usdc_payments_settle_once_finalized(backend: Backend) {
    let Some(w) = SolanaWorld::start(backend).await else {
        return;
    };
    for (token, amount) in [
        (SOL_TOKEN.to_owned(), FLOW_LAMPORTS),
        (SolanaWorld::usdc(), FLOW_USDC),
    ] {
        let flow = w.create_flow(&token).await;
        let (session, unsigned) = w.prepared(&flow, &token).await;
        let keys = account_keys(&unsigned);
        assert_eq!(keys[0], w.payer.address(), "the payer pays the fee");
        let reference = Pubkey::reference_for(&flow).to_string();
        assert!(keys.contains(&reference), "the flow's reference is listed");
        let quote = &w.view(&flow).await["quote"];
        assert_eq!(quote["toAmount"], amount.to_string(), "{token}");
        let merchant_before = w.node.with_runtime(|r| {
            (
                r.balance(&w.merchant.pubkey()),
                r.token_balance(&w.merchant.pubkey(), &USDC),
            )
        });
        let signature = w.sign_and_send(&unsigned).await;
        let reply = w.broadcast(&flow, &session, &signature).await;
        assert_eq!(reply["executionState"], "broadcasted");
        assert_eq!(reply["txHash"], signature, "kept as written: base58");
        w.advance_and_step(1).await;
        assert_eq!(
            states(&w.view(&flow).await).1,
            "none",
            "confirmed is not finalized"
        );
        w.finalize_and_step().await;
        let view = w.view(&flow).await;
        assert_eq!(
            states(&view),
            ("source_confirmed".into(), "completed".into()),
            "{token}: {view}"
        );
        let merchant_after = w.node.with_runtime(|r| {
            (
                r.balance(&w.merchant.pubkey()),
                r.token_balance(&w.merchant.pubkey(), &USDC),
            )
        });
        if token == SOL_TOKEN {
            assert_eq!(u128::from(merchant_after.0 - merchant_before.0), amount);
        } else {
            assert_eq!(merchant_before.1, None, "no USDC account before");
            assert_eq!(
                merchant_after.1.map(u128::from),
                Some(amount),
                "created and paid"
            );
        }
    }
}

/// A flow prepared in `token` that the payer pays with its own transaction `signed`.
async fn paid_with(w: &SolanaWorld, flow: &str, session: &str, signed: &[u8]) -> String {
    let signature = w.send_signed(signed).await;
    assert_eq!(signature, signature_of(signed));
    w.broadcast(flow, session, &signature).await;
    signature
}

async fn short_misdirected_failed_and_unreferenced_payments_fail(backend: Backend) {
    let Some(w) = SolanaWorld::start(backend).await else {
        return;
    };
    let payer = Pubkey(w.payer.pubkey());
    let merchant = Pubkey(w.merchant.pubkey());
    let stranger = Pubkey([44; 32]);
    let usdc = move |recipient, amount, reference| {
        let t = TokenTransfer {
            owner: payer,
            recipient,
            mint: Pubkey(USDC),
            token_program: Pubkey::program(sluice_chain::solana::pubkey::TOKEN_PROGRAM),
            amount,
            decimals: 6,
        };
        vec![
            sluice_chain::solana::transaction::create_associated_account_idempotent(
                payer,
                recipient,
                t.mint,
                t.token_program,
            ),
            transfer_checked(&t, reference),
        ]
    };
    let lamports = FLOW_LAMPORTS as u64;
    type Build = Box<dyn Fn(Pubkey) -> Vec<sluice_chain::solana::transaction::Instruction>>;
    let cases: Vec<(&str, Build, &str)> = vec![
        (
            SOL_TOKEN,
            Box::new(move |r| vec![system_transfer(payer, merchant, lamports - 1, r)]),
            "underpaid",
        ),
        (
            SOL_TOKEN,
            Box::new(move |r| vec![system_transfer(payer, stranger, lamports, r)]),
            "wrong_recipient",
        ),
        (
            SOL_TOKEN,
            Box::new(move |_| {
                vec![system_transfer(
                    payer,
                    merchant,
                    lamports,
                    Pubkey::reference_for("another flow"),
                )]
            }),
            "reference_missing",
        ),
        (
            "usdc",
            Box::new(move |r| usdc(merchant, 25_000_000 - 1, r)),
            "underpaid",
        ),
        (
            "usdc",
            Box::new(move |r| usdc(stranger, 25_000_000, r)),
            "wrong_recipient",
        ),
        // More than the payer holds: the instruction fails in its block (fee charged).
        (
            "usdc",
            Box::new(move |r| usdc(merchant, 2_000_000_000, r)),
            "tx_reverted",
        ),
    ];
    let mut flows = Vec::new();
    for (token, instructions, code) in &cases {
        let token = if *token == "usdc" {
            SolanaWorld::usdc()
        } else {
            (*token).to_owned()
        };
        let flow = w.create_flow(&token).await;
        let (session, _) = w.prepared(&flow, &token).await;
        let signed = w.own_transaction(&instructions(Pubkey::reference_for(&flow)));
        paid_with(&w, &flow, &session, &signed).await;
        flows.push((flow, *code));
    }
    w.finalize_and_step().await;
    for (flow, code) in flows {
        let view = w.view(&flow).await;
        assert_eq!(view["executionState"], "failed", "{code}: {view}");
        assert_eq!(view["failure"]["code"], code, "{view}");
    }
}

both_backends!(
    an_expired_blockhash_fails_the_flow_once_the_chain_is_past_it,
    pending_signatures_are_asked_for_256_a_call,
);

async fn an_expired_blockhash_fails_the_flow_once_the_chain_is_past_it(backend: Backend) {
    use sluice_solana_testnode::node::{BLOCKHASH_BLOCKS, FINALITY};
    let Some(w) = SolanaWorld::start(backend).await else {
        return;
    };
    let flow = w.create_flow(SOL_TOKEN).await;
    let (session, unsigned) = w.prepared(&flow, SOL_TOKEN).await;
    // Signed but held back (a wallet that never sent it): it is reported all the same.
    let signed = w.payer.sign(&unsigned);
    w.broadcast(&flow, &session, &signature_of(&signed)).await;
    w.step_to_idle().await;
    w.advance_and_step(BLOCKHASH_BLOCKS / 2).await;
    assert_eq!(
        w.view(&flow).await["executionState"],
        "broadcasted",
        "the blockhash is still valid: it may land"
    );
    // Past the blockhash's last valid height, but not yet by a finalized block.
    w.advance_and_step(BLOCKHASH_BLOCKS / 2 + 5).await;
    let sent = w.payer.sign_and_send(&w.node.url, &unsigned, true).await;
    assert!(sent["error"].is_object(), "the node refuses it now: {sent}");
    assert_eq!(
        w.view(&flow).await["executionState"],
        "broadcasted",
        "not final yet at the configured commitment"
    );
    w.advance_and_step(FINALITY + 1).await;
    let view = w.view(&flow).await;
    assert_eq!(view["executionState"], "failed", "{view}");
    assert_eq!(view["failure"]["code"], "blockhash_expired", "{view}");
    assert_eq!(view["failure"]["details"]["txHash"], signature_of(&signed));
}

/// 300 payments watched at once: each step asks for their statuses in two calls (256 + 44),
/// whatever their number within a batch, and nothing per payment; the ones that land settle.
async fn pending_signatures_are_asked_for_256_a_call(backend: Backend) {
    let Some(w) = SolanaWorld::start(backend).await else {
        return;
    };
    let mut paid = Vec::new();
    for i in 0..300u32 {
        let flow = w.create_flow(SOL_TOKEN).await;
        let (session, unsigned) = w.prepared(&flow, SOL_TOKEN).await;
        let signature = if i % 100 == 0 {
            let signature = w.sign_and_send(&unsigned).await;
            paid.push(flow.clone());
            signature
        } else {
            let mut fake = [0u8; 64];
            fake[..4].copy_from_slice(&i.to_le_bytes());
            solana_world::b58(&fake)
        };
        w.broadcast(&flow, &session, &signature).await;
    }
    w.step_to_idle().await;
    w.node.reset_calls();
    w.advance_and_step(1).await;
    let calls = w.node.calls();
    assert_eq!(calls.get("getSignatureStatuses"), Some(&2), "{calls:?}");
    assert!(!calls.contains_key("getTransaction"), "{calls:?}");
    assert!(calls.values().sum::<u64>() <= 6, "{calls:?}");
    w.finalize_and_step().await;
    for flow in paid {
        assert_eq!(states(&w.view(&flow).await).1, "completed");
    }
}

both_backends!(
    deposit_addresses_are_not_offered_on_solana,
    a_payer_short_of_lamports_or_tokens_is_told_before_signing,
);

async fn deposit_addresses_are_not_offered_on_solana(backend: Backend) {
    let Some(w) = SolanaWorld::start(backend).await else {
        return;
    };
    let flow = w.create_flow(SOL_TOKEN).await;
    let options = w
        .app
        .payer(
            reqwest::Method::GET,
            &flow,
            "/sourceTokenOptions?sourceType=deposit_address",
            None,
            None,
        )
        .await;
    assert_eq!(options.status, 200, "{}", options.body);
    assert_eq!(options.body, json!({"sourceTokenOptions": []}));
    let source = json!({"sourceType": "deposit_address", "fromChainId": solana_world::CHAIN_ID, "fromChainName": "SOL"});
    let (_, reply) = w.attach_and_quote(&flow, &source, SOL_TOKEN).await;
    let error = reply.assert_error(422, "chain_not_configured");
    assert!(
        error["error"]
            .as_str()
            .unwrap_or_default()
            .contains("ed25519")
            || error.to_string().contains("ed25519"),
        "says why: {error}"
    );
}

async fn a_payer_short_of_lamports_or_tokens_is_told_before_signing(backend: Backend) {
    let Some(w) = SolanaWorld::start(backend).await else {
        return;
    };
    let poor = sluice_solana_testnode::Wallet::new(33);
    // Enough lamports for a fee but not for the new USDC account's rent, and no USDC.
    w.node
        .with_runtime(|r| r.airdrop(&poor.pubkey(), 1_000_000));
    let assert = json!({"assertBalanceForTransferAmount": true, "assertBalanceForGasCost": true});
    for (token, asset) in [(SOL_TOKEN.to_owned(), "SOL"), (SolanaWorld::usdc(), "USDC")] {
        let flow = w.create_flow(&token).await;
        let session = w.quoted(&flow, &token, &poor).await;
        let reply = w
            .app
            .payer(
                reqwest::Method::POST,
                &flow,
                "/prepare",
                Some(&session),
                Some(&assert),
            )
            .await;
        let error = reply.assert_error(422, "insufficient_balance");
        assert!(error.to_string().contains(asset), "{error}");
    }
    // Tokens enough, lamports short of the rent of the merchant's new token account.
    w.node
        .with_runtime(|r| r.give_tokens(&poor.pubkey(), &USDC, 100_000_000));
    let flow = w.create_flow(&SolanaWorld::usdc()).await;
    let session = w.quoted(&flow, &SolanaWorld::usdc(), &poor).await;
    let reply = w
        .app
        .payer(
            reqwest::Method::POST,
            &flow,
            "/prepare",
            Some(&session),
            Some(&assert),
        )
        .await;
    let error = reply.assert_error(422, "insufficient_balance");
    assert!(
        error.to_string().contains("SOL"),
        "the rent is in SOL: {error}"
    );
    let unasserted = w
        .app
        .payer(
            reqwest::Method::POST,
            &flow,
            "/prepare",
            Some(&session),
            Some(&json!({})),
        )
        .await;
    assert_eq!(unasserted.status, 200, "{}", unasserted.body);
}

both_backends!(a_node_of_another_network_or_with_other_mints_is_refused);

/// Spec §10.4 on Solana: the genesis hash proves the network, and each configured mint must
/// exist under the token program configured for it (Token-2022 only when said so).
async fn a_node_of_another_network_or_with_other_mints_is_refused(backend: Backend) {
    use solana_world::{GENESIS, T22, b58};
    let t22 = |flag: &str| {
        format!(
            "[[chains.tokens]]\naddress = \"{}\"\nsymbol = \"T22\"\ndecimals = 2\n{flag}",
            b58(&T22)
        )
    };
    let cases = [
        (
            [6; 32],
            String::new(),
            format!("the node reports genesis hash {}", b58(&GENESIS)),
        ),
        (
            GENESIS,
            t22(""),
            format!(
                "{} is a Token-2022 mint (accepted only with token_2022 = true)",
                b58(&T22)
            ),
        ),
        (
            GENESIS,
            format!(
                "[[chains.tokens]]\naddress = \"{}\"\nsymbol = \"X\"\ndecimals = 2\n",
                b58(&[23; 32])
            ),
            format!("mint {} does not exist", b58(&[23; 32])),
        ),
    ];
    for (claimed, tokens, reported) in cases {
        let Some(w) = SolanaWorld::start_with(backend, claimed, &tokens).await else {
            return;
        };
        let flow = w.create_flow(SOL_TOKEN).await;
        let source = json!({"sourceType": "wallet", "fromAddress": w.payer.address(), "fromChainId": solana_world::CHAIN_ID, "fromChainName": "SOL"});
        let (_, reply) = w.attach_and_quote(&flow, &source, SOL_TOKEN).await;
        reply.assert_error(502, "chain_unavailable");
        let ready = w.app.readyz().await;
        assert!(ready.contains(&reported), "{reported}: {ready}");
    }
    // Flagged, the Token-2022 mint is accepted, and P6 pays it through Token-2022.
    let Some(w) = SolanaWorld::start_with(backend, GENESIS, &t22("token_2022 = true\n")).await
    else {
        return;
    };
    assert!(
        w.app.readyz().await.contains("SOL 900: ok"),
        "{}",
        w.app.readyz().await
    );
    let body = json!({
        "amount": "25.00", "currency": "USD", "pegStablecoins": true,
        "settlementConfig": {"strategy": "cheapest", "settlements": [{"chainName": "SOL", "chainId": solana_world::CHAIN_ID, "tokenAddress": b58(&T22), "symbol": "USDC", "tokenDecimals": 2}]},
        "destinationConfig": {"destinations": [{"chainName": "SOL", "type": "address", "identifier": w.merchant.address()}]}
    });
    let flow = w.app.create_flow_with(body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = w.quoted(&flow, &b58(&T22), &w.payer).await;
    let prepared = w.pay_step(&flow, &session, "/prepare", &json!({})).await;
    let text = prepared["quote"]["signingPayload"]["serializedTransaction"]
        .as_str()
        .unwrap();
    let unsigned = data_encoding::BASE64.decode(text.as_bytes()).unwrap();
    let keys = account_keys(&unsigned);
    assert!(keys.contains(&sluice_chain::solana::pubkey::TOKEN_2022_PROGRAM.to_owned()));
    let program = Pubkey::program(sluice_chain::solana::pubkey::TOKEN_2022_PROGRAM);
    let merchant_account =
        Pubkey::associated_token_account(&Pubkey(w.merchant.pubkey()), &Pubkey(T22), &program);
    assert!(
        keys.contains(&merchant_account.to_string()),
        "Token-2022's associated account"
    );
}
