//! Deposit keys through the operator's command line, on both backends: an extended public
//! key is checked, normalised and stored; a private key or seed phrase is refused without
//! being repeated anywhere; `env show` prints fingerprints, never a key.

mod common;

use common::binary::sluice;
use common::*;
use serde_json::Value;

/// BIP-84 test vector account key (m/84'/0'/0' of "abandon" ×11 + "about"); its first
/// receive address is published in BIP-84.
const BIP84_ZPUB: &str = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
const BIP84_FIRST: &str = "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu";
/// BIP-32 test vector 1, m/0'.
const V1_M_0H: &str = "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw";
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
    assert!(!ok && err.contains("EVM or BTC"), "{err}");

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
