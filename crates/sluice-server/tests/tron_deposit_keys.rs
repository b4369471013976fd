//! TRON deposit keys and addresses on both backends, checked against TRON's own SDK: the
//! account key `m/44'/195'/0'` and the addresses `m/44'/195'/0'/0/i` come from `tronweb` and
//! `ethers` (npm, offline, tools/tron/oracle.mjs), the key is stored through the operator's
//! command line, and each flow's allocated address is the SDK's for its index.
//!
//! Without node or tools/tron/node_modules the test says so and passes, unless
//! `SLUICE_REQUIRE_TRON=1` (CI).

mod common;

use common::binary::sluice;
use common::deposit::deposit_source;
use common::tron_sdk::oracle;
use common::*;
use serde_json::{Value, json};
use sluice_domain::{ChainName, FlowId};
use sluice_server::lifecycle;

const MNEMONIC: &str =
    "legal winner thank year wave sausage worth useful legal winner thank yellow";

both_backends!(tron_deposit_addresses_are_the_sdks);

async fn tron_deposit_addresses_are_the_sdks(backend: Backend) {
    let Some(expected) = oracle(json!({"op": "addresses", "mnemonic": MNEMONIC, "count": 3}))
    else {
        return;
    };
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let xpub = expected["xpub"].as_str().unwrap();
    let env = app.env_id.to_string();
    let args = [
        "env",
        "set-deposit-key",
        "--env",
        &env,
        "--chain-family",
        "TRON",
        "--xpub",
        xpub,
    ];
    let (ok, _, err) = sluice(&app.db.url, &args).await;
    assert!(ok, "{err}");
    let first = expected["addresses"][0].as_str().unwrap();
    assert!(err.contains(&format!("derivation 0/0 is {first}")), "{err}");

    for i in 0..3 {
        let flow = app.create_flow().await;
        let reply = app.attach(&flow, &deposit_source()).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let id: FlowId = flow.parse().unwrap();
        let assigned = lifecycle::assign_deposit_address(
            app.store.as_ref(),
            app.env_id,
            id,
            ChainName::Tron,
            START,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            assigned.deposit_address.as_deref(),
            expected["addresses"][i].as_str(),
            "flow {i}"
        );
    }
    let (ok, out, err) = sluice(&app.db.url, &["env", "deposit-addresses", "--env", &env]).await;
    assert!(ok, "{err}");
    let listed: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|l| l["chainFamily"] == "TRON"), "{out}");
}
