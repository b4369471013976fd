//! Chain adapters. [`family::ChainFamily`] is the boundary the server calls; [`evm`] is its
//! first family (EVM chains over JSON-RPC). Each family keeps its node client to itself and
//! deliberately small (a dozen methods on reqwest) rather than a full provider stack: Sluice
//! reads blocks, receipts, balances and fee data, and never signs or holds a key.
#![forbid(unsafe_code)]

pub mod bitcoin;
pub mod evm;
pub mod family;
pub mod settlement;
pub mod solana;
pub mod tron;

pub use evm::{EvmChain, EvmRpc, RpcError, erc20};
pub use family::ChainFamily;

/// Installs rustls' ring crypto provider for outbound TLS (RPC endpoints, price feeds), once
/// per process. Every HTTP client Sluice builds calls this first.
pub fn ensure_tls() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
