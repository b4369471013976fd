//! Deposit keys and addresses, on both backends: through the operator's command line an
//! extended public key is checked, normalised and stored, a private key or seed phrase is
//! refused without being repeated anywhere, and `env show` prints fingerprints, never a key;
//! each flow gets its own derivation index, once, even from two instances.

mod common;

use std::sync::Arc;

use common::binary::sluice;
use common::deposit::*;
use common::*;
use futures::future::join_all;
use serde_json::Value;
use sluice_domain::deposit_key::{ChainFamily, ExtendedPublicKey};
use sluice_domain::transitions::Rejection;
use sluice_domain::{ChainName, FlowId};
use sluice_server::lifecycle;
use sluice_store::Store;

/// BIP-84 test vector account key (m/84'/0'/0' of "abandon" ×11 + "about"); its first
/// receive address is published in BIP-84.
const BIP84_ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
const BIP84_FIRST: &str = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu";
const V1_M_XPRV: &str = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";
const SEED: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

both_backends!(deposit_keys_are_set_shown_and_private_keys_refused);

async fn deposit_keys_are_set_shown_and_private_keys_refused(backend: Backend) {
    let Some(db) = TestDb::create(backend).await else {
        return;
    };
    let (ok, out, err) = sluice(&db.url, &["env", "create", "--name", "shop"]).await;
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    let env = created["environmentId"].as_str().unwrap().to_owned();
    let set = |family: &'static str, key: &'static str| {
        let env = env.clone();
        let url = db.url.clone();
        async move {
            let args = [
                "env",
                "set-deposit-key",
                "--env",
                &env,
                "--chain-family",
                family,
                "--xpub",
                key,
            ];
            sluice(&url, &args).await
        }
    };

    let (ok, _, err) = set("BTC", BIP84_ZPUB).await;
    assert!(ok, "{err}");
    assert!(err.contains(BIP84_FIRST), "shows derivation 0/0: {err}");
    let (ok, _, err) = set("EVM", V1_M_0H).await;
    assert!(ok, "{err}");

    let mut everything_printed = String::new();
    for (input, expected) in [
        (V1_M_XPRV, "private key"),
        (SEED, "seed phrase"),
        ("xpub-not-really", "not an extended public key"),
    ] {
        let (ok, out, err) = set("EVM", input).await;
        assert!(!ok && out.is_empty(), "{err}");
        assert!(
            err.starts_with("error: ") && err.contains(expected),
            "{err}"
        );
        everything_printed.push_str(&err);
    }
    let (ok, _, err) = set("SOL", V1_M_0H).await;
    assert!(!ok && err.contains("use EVM, BTC or TRON"), "{err}");

    let (ok, out, err) = sluice(&db.url, &["env", "show", "--env", &env]).await;
    assert!(ok, "{err}");
    everything_printed.push_str(&out);
    let shown: Value = serde_json::from_str(&out).unwrap();
    let keys = shown["depositKeys"].as_array().unwrap();
    let families: Vec<&str> = keys
        .iter()
        .map(|k| k["chainFamily"].as_str().unwrap())
        .collect();
    assert_eq!(families, ["BTC", "EVM"]);
    // BIP-32 test vector 1: m/0' has identifier 5c1bd648…
    assert_eq!(
        keys[1]["fingerprint"], "5c1bd648",
        "the refused keys changed nothing"
    );
    assert_eq!(keys[1]["nextIndex"], 0);
    for secret_or_key in [V1_M_XPRV, "abandon", V1_M_0H, BIP84_ZPUB, &V1_M_XPRV[4..20]] {
        assert!(
            !everything_printed.contains(secret_or_key),
            "{secret_or_key} was printed"
        );
    }

    // Stored normalised (zpub → xpub): the same key in either form.
    let store = sluice_server::store::connect(&db.url).await.unwrap();
    let stored = store.deposit_keys(env.parse().unwrap()).await.unwrap();
    assert!(
        stored[0].xpub.starts_with("xpub6CatWdiZ"),
        "{}",
        stored[0].xpub
    );

    // Replacing a key keeps the environment's place in the index sequence.
    let (ok, _, err) = set("EVM", BIP84_ZPUB).await;
    assert!(ok, "{err}");
    let stored = store.deposit_keys(env.parse().unwrap()).await.unwrap();
    assert_eq!(stored[1].fingerprint, stored[0].fingerprint);
}

both_backends!(
    each_flow_gets_its_own_index_once_and_keeps_its_address,
    concurrent_allocations_never_share_an_index,
    a_restored_database_is_told_where_deposit_indexes_continue
);

/// A flow with a deposit-address source attached, ready for its address.
async fn deposit_flow(app: &TestApp) -> FlowId {
    let flow = app.create_flow().await;
    let reply = app.attach(&flow, &deposit_source()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    flow.parse().unwrap()
}

async fn assign(app: &TestApp, flow: FlowId) -> Result<sluice_domain::Flow, Rejection> {
    lifecycle::assign_deposit_address(app.store.as_ref(), app.env_id, flow, ChainName::Evm, START)
        .await
        .unwrap()
}

async fn each_flow_gets_its_own_index_once_and_keeps_its_address(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let first = deposit_flow(&app).await;
    let missing = assign(&app, first).await.unwrap_err();
    assert!(
        matches!(&missing, Rejection::DepositUnavailable(m) if m.contains("no EVM deposit key")),
        "{missing:?}"
    );

    let key = set_evm_key(&app, V1_M_0H).await;
    let assigned = assign(&app, first).await.unwrap();
    let expected = key.deposit_address(ChainFamily::Evm, 0).unwrap();
    assert_eq!(assigned.deposit_address.as_deref(), Some(expected.as_str()));
    let again = assign(&app, first).await.unwrap();
    assert_eq!(
        again.deposit_address, assigned.deposit_address,
        "kept, not re-derived"
    );
    assert_eq!(
        again.revision, assigned.revision,
        "nothing written the second time"
    );

    // The payer sees it; a re-attach keeps it.
    let read = app
        .payer(reqwest::Method::GET, &first.to_string(), "", None, None)
        .await;
    assert_eq!(read.body["depositAddress"], expected.as_str());
    let reattached = app.attach(&first.to_string(), &deposit_source()).await;
    assert_eq!(reattached.body["flow"]["depositAddress"], expected.as_str());

    let second = deposit_flow(&app).await;
    let assigned = assign(&app, second).await.unwrap();
    assert_eq!(
        assigned.deposit_address,
        key.deposit_address(ChainFamily::Evm, 1)
    );
    // Replacing the key does not restart the sequence.
    set_evm_key(&app, BIP84_ZPUB).await;
    let third = deposit_flow(&app).await;
    let assigned = assign(&app, third).await.unwrap();
    let replacement = ExtendedPublicKey::parse(BIP84_ZPUB).unwrap();
    assert_eq!(
        assigned.deposit_address,
        replacement.deposit_address(ChainFamily::Evm, 2)
    );

    // A quote on a chain without deposit addresses gets none.
    let solana = deposit_flow(&app).await;
    let refused = lifecycle::assign_deposit_address(
        app.store.as_ref(),
        app.env_id,
        solana,
        ChainName::Sol,
        START,
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        matches!(&refused, Rejection::DepositUnavailable(m) if m.contains("not available on SOL")),
        "{refused:?}"
    );

    // A wallet source has no deposit address.
    let wallet = app.create_flow().await;
    app.attach_wallet(&wallet).await;
    let refused = assign(&app, wallet.parse().unwrap()).await.unwrap_err();
    assert!(
        matches!(refused, Rejection::InvalidTransition { .. }),
        "{refused:?}"
    );

    let listed = app.store.deposit_addresses(app.env_id).await.unwrap();
    let indexes: Vec<i64> = listed.iter().map(|r| r.derivation_index).collect();
    assert_eq!(indexes, [0, 1, 2]);
    assert_eq!(listed[0].flow_id, first);

    // The operator's list, one JSON object per line.
    let env = app.env_id.to_string();
    let (ok, out, err) = sluice(&app.db.url, &["env", "deposit-addresses", "--env", &env]).await;
    assert!(ok, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["derivationPath"], "0/0");
    assert_eq!(lines[0]["address"], expected.as_str());
    assert_eq!(lines[0]["flowId"], first.to_string());
}

/// Many flows at once, through two stores on one database (two instances, on PostgreSQL):
/// every index from 0 is used exactly once, and each flow's address is its index's.
async fn concurrent_allocations_never_share_an_index(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let key = set_evm_key(&app, V1_M_0H).await;
    let mut flows = Vec::new();
    for _ in 0..24 {
        flows.push(deposit_flow(&app).await);
    }
    let second: Arc<dyn Store> = match backend {
        Backend::Postgres => sluice_server::store::connect(&app.db.url).await.unwrap(),
        // One process owns a SQLite file: its one writer serialises allocations.
        Backend::Sqlite => app.store.clone(),
    };
    let results = join_all(flows.iter().enumerate().map(|(i, flow)| {
        let store = if i % 2 == 0 {
            app.store.clone()
        } else {
            second.clone()
        };
        let env = app.env_id;
        let flow = *flow;
        async move {
            lifecycle::assign_deposit_address(store.as_ref(), env, flow, ChainName::Evm, START)
                .await
        }
    }))
    .await;
    for result in &results {
        assert!(matches!(result, Ok(Ok(_))), "{result:?}");
    }
    let listed = app.store.deposit_addresses(app.env_id).await.unwrap();
    let mut indexes: Vec<i64> = listed.iter().map(|r| r.derivation_index).collect();
    indexes.sort_unstable();
    assert_eq!(indexes, (0..24).collect::<Vec<i64>>());
    for record in &listed {
        let flow = app.stored_flow(&record.flow_id.to_string()).await;
        let derived = key.deposit_address(ChainFamily::Evm, record.derivation_index as u32);
        assert_eq!(flow.deposit_address, derived);
        assert_eq!(Some(&record.address), derived.as_ref());
    }
}

/// After restoring an old backup, `next_index` is behind the addresses already handed out;
/// `sluice env raise-deposit-index` moves it past them, and never back.
async fn a_restored_database_is_told_where_deposit_indexes_continue(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let key = set_evm_key(&app, V1_M_0H).await;
    let first = deposit_flow(&app).await;
    assign(&app, first).await.unwrap();
    let env = app.env_id.to_string();
    let raise = |next: &'static str, family: &'static str| {
        let (url, env) = (app.db.url.clone(), env.clone());
        async move {
            let args = [
                "env",
                "raise-deposit-index",
                "--env",
                &env,
                "--chain-family",
                family,
                "--next",
                next,
            ];
            sluice(&url, &args).await
        }
    };
    let (ok, _, err) = raise("7", "EVM").await;
    assert!(ok, "{err}");
    assert!(err.contains("continue at index 7 (was 1)"), "{err}");
    let (ok, _, err) = raise("3", "evm").await;
    assert!(ok, "{err}");
    assert!(
        err.contains("already continue at index 7; nothing changed"),
        "{err}"
    );
    let (ok, _, err) = raise("3", "BTC").await;
    assert!(!ok);
    assert!(err.contains("has no BTC deposit key"), "{err}");
    let (ok, _, err) = raise("3", "SOL").await;
    assert!(!ok);
    assert!(err.contains("unknown chain family"), "{err}");

    let second = deposit_flow(&app).await;
    let assigned = assign(&app, second).await.unwrap();
    assert_eq!(
        assigned.deposit_address,
        key.deposit_address(ChainFamily::Evm, 7),
        "the next address is derived at the raised index"
    );
}
