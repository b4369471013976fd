//! Key material never reaches a log: a real `sluice serve` at debug level, JSON logs captured,
//! while the operator offers an `xprv` and a seed phrase (refused), sets an `xpub`, and a
//! payer gets a deposit address. Neither the refused input nor the stored key appears in the
//! server's logs or in the CLI's output.

mod common;

use common::binary::{LoggedServer, sluice};
use common::deposit::V1_M_0H;
use common::*;
use serde_json::{Value, json};

const V1_M_XPRV: &str = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";
const SEED: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/// Chain 8453 with its USDC, served by a local anvil started as chain 8453 (deposit quotes
/// need only its proven chain ID).
fn config_file(rpc_url: &str) -> std::path::PathBuf {
    let path =
        std::env::temp_dir().join(format!("sluice-deposit-logs-{}.toml", uuid::Uuid::new_v4()));
    let text = format!(
        "[[chains]]\nchain_name = \"EVM\"\nchain_id = \"8453\"\nrpc_url = \"{rpc_url}\"\n\
         [[chains.tokens]]\naddress = \"{USDC_BASE}\"\nsymbol = \"USDC\"\ndecimals = 6\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

async fn post(http: &reqwest::Client, url: String, headers: &[(&str, &str)], body: Value) -> Value {
    let mut request = http.post(url).json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status();
    let body: Value = reply.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_material_never_reaches_the_logs() {
    let Some(db) = TestDb::create(Backend::Sqlite).await else {
        return;
    };
    let Some(base) = common::evm::Anvil::start_on(8453, None, &[]).await else {
        return;
    };
    let config = config_file(&base.url);
    let server = LoggedServer::start(&db.url, &config, &[]).await;
    let (base, env) = (server.base.clone(), server.env.clone());
    let token = format!("Bearer {}", server.token);

    let mut cli_output = String::new();
    for (key, accepted) in [(V1_M_XPRV, false), (SEED, false), (V1_M_0H, true)] {
        let args = [
            "env",
            "set-deposit-key",
            "--env",
            &env,
            "--chain-family",
            "EVM",
            "--xpub",
            key,
        ];
        let (ok, stdout, stderr) = sluice(&db.url, &args).await;
        assert_eq!(ok, accepted, "{stderr}");
        cli_output.push_str(&stdout);
        cli_output.push_str(&stderr);
    }

    sluice_chain::ensure_tls();
    let http = reqwest::Client::new();
    let mut body = flow_body();
    body["pegStablecoins"] = json!(true);
    let flow = post(
        &http,
        format!("{base}/api/v0/server/{env}/flow/payment"),
        &[("authorization", &token)],
        body,
    )
    .await;
    let id = flow["flow"]["id"].as_str().unwrap();
    let source =
        json!({"sourceType": "deposit_address", "fromChainId": "8453", "fromChainName": "EVM"});
    let attached = post(
        &http,
        format!("{base}/api/v0/sdk/{env}/flow/{id}/source"),
        &[],
        source,
    )
    .await;
    let session = attached["sessionToken"].as_str().unwrap();
    let quoted = post(
        &http,
        format!("{base}/api/v0/sdk/{env}/flow/{id}/quote"),
        &[("x-dynamic-flow-session-token", session)],
        json!({}),
    )
    .await;
    assert!(quoted["depositAddress"].is_string(), "{quoted}");

    let all = server.stop().await;
    let _ = std::fs::remove_file(&config);
    assert!(
        all.contains("shutting down"),
        "the logs were captured: {all}"
    );
    for material in [
        V1_M_XPRV,
        &V1_M_XPRV[4..40],
        SEED,
        "abandon abandon",
        V1_M_0H,
        &V1_M_0H[4..40],
    ] {
        assert!(!all.contains(material), "key material in the server's logs");
        assert!(
            !cli_output.contains(material),
            "key material in the CLI's output"
        );
    }
}
