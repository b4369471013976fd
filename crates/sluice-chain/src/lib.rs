//! Chain adapters. Today: EVM chains over JSON-RPC. The client is deliberately small (a
//! dozen methods on reqwest) rather than a full provider stack: Sluice reads receipts, logs,
//! balances and fee data, and never signs or holds a key.
#![forbid(unsafe_code)]

pub mod erc20;
pub mod evm;
pub mod scan;
pub mod verify;

pub use evm::{EvmRpc, RpcError};

/// Installs rustls' ring crypto provider for outbound TLS (RPC endpoints, price feeds), once
/// per process. Every HTTP client Sluice builds calls this first.
pub fn ensure_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
