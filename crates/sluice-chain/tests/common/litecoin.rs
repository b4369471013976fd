//! A real Bitcoin Core–family node for the tests: Debian's `litecoind` on regtest (free port,
//! temporary data directory, `txindex=1`, killed on drop), its wallet playing the payer.
//! Without `litecoind` a test passes without running and says so, unless
//! `SLUICE_REQUIRE_BITCOIN=1`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use sluice_chain::bitcoin::{
    BitcoinAuth, BitcoinChain, BitcoinNetwork, BitcoinRpc, BitcoinRpcError,
};

/// m/84'/1'/0' of the "abandon … about" test mnemonic (computed with scripts/bip44-account-xpub.py
/// changed to that path and the tpub version): a test key, never for real money.
pub const TPUB: &str = "tpubDC8msFGeGuwnKG9Upg7DM2b4DaRqg3CUZa5g8v2SRQ6K4NSkxUgd7HsL2XVWbVm39yBA4LAxysQAm397zwQSQoQgewGiYZqrA9DsP4zbQ1M";

pub struct Node {
    child: std::process::Child,
    dir: PathBuf,
    pub url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Node {
    pub async fn start() -> Option<Self> {
        Self::start_with(&["-txindex=1"]).await
    }

    /// A node started with `extra` arguments (`-txindex=1`, or none).
    pub async fn start_with(extra: &[&str]) -> Option<Self> {
        let binary = std::env::var("SLUICE_LITECOIND").unwrap_or_else(|_| "litecoind".into());
        if std::process::Command::new(&binary)
            .arg("-version")
            .output()
            .is_err()
        {
            assert!(
                std::env::var("SLUICE_REQUIRE_BITCOIN").as_deref() != Ok("1"),
                "SLUICE_REQUIRE_BITCOIN=1 but {binary} cannot be run (apt-get install litecoind)"
            );
            eprintln!("*** Bitcoin node tests did NOT run: {binary} not found ***");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("sluice-ltc-{}", uuid_like()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = std::process::Command::new(&binary)
            .args([
                "-regtest",
                "-daemon=0",
                "-listen=0",
                "-server",
                "-rpcbind=127.0.0.1",
                "-rpcallowip=127.0.0.1",
                "-fallbackfee=0.0001",
                "-printtoconsole=0",
            ])
            .args(extra)
            .arg(format!("-rpcport={port}"))
            .arg(format!("-datadir={}", dir.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start litecoind");
        let node = Self {
            child,
            dir,
            url: format!("http://127.0.0.1:{port}/"),
        };
        let rpc = node.rpc();
        for _ in 0..200 {
            if rpc.block_count().await.is_ok() {
                return Some(node);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("litecoind did not answer within 10 s");
    }

    /// The node's RPC cookie file (written when it starts).
    pub fn cookie(&self) -> PathBuf {
        self.dir.join("regtest/.cookie")
    }

    pub fn chain(&self) -> BitcoinChain {
        BitcoinChain::new(
            &self.url,
            BitcoinAuth::CookieFile(self.cookie()),
            BitcoinNetwork::Regtest,
            3,
            Duration::from_secs(60),
        )
    }

    pub fn rpc(&self) -> BitcoinRpc {
        BitcoinRpc::new(
            self.url.clone(),
            BitcoinAuth::CookieFile(self.cookie()),
            Duration::from_secs(60),
        )
    }

    /// A new address of `kind` (`bech32`, `legacy`) in the node's wallet "payer" (created on
    /// first use), with 101 blocks mined to it: its first coinbases have matured.
    pub async fn funded_payer(&self, kind: &str) -> String {
        let rpc = self.rpc();
        // Created once; a slow creation under load must not be mistaken for "already there".
        match rpc.call::<Value>("createwallet", json!(["payer"])).await {
            Ok(_) => {}
            Err(BitcoinRpcError::Rpc { code: -4 | -35, .. }) => {} // exists and is loaded
            Err(e) => panic!("createwallet: {e}"),
        }
        let payer = self.wallet("getnewaddress", json!(["", kind])).await;
        let payer = payer.as_str().unwrap().to_owned();
        let _: Value = rpc
            .call("generatetoaddress", json!([101, payer]))
            .await
            .unwrap();
        payer
    }

    /// A wallet call (the node's wallet plays the payer).
    pub async fn wallet(&self, method: &str, params: Value) -> Value {
        let wallet = BitcoinRpc::new(
            format!("{}wallet/payer", self.url),
            BitcoinAuth::CookieFile(self.cookie()),
            Duration::from_secs(60),
        );
        wallet.call(method, params).await.unwrap()
    }
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

/// The same witness program under the node's own prefix (`rltc` on Litecoin's regtest).
pub fn on_node(address: &str) -> String {
    let (_, _, program) = bech32::segwit::decode(address).unwrap();
    bech32::segwit::encode_v0(bech32::Hrp::parse("rltc").unwrap(), &program).unwrap()
}
