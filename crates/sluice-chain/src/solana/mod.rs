//! The Solana family (spec §10.3): keys, the associated token accounts and flow references
//! derived from them, the unsigned transactions P6 hands to a wallet, the JSON-RPC client, and
//! [`SolanaChain`], the family adapter. A payment is a System transfer of lamports or, for an
//! SPL token, an idempotent creation of the merchant's associated token account followed by
//! `TransferChecked`; the transfer instruction lists the flow's reference key so the payment
//! names its flow on chain.

pub mod chain;
mod family;
pub mod pubkey;
pub mod rpc;
pub mod transaction;
pub mod verify;

pub use chain::{SolanaChain, SolanaToken};
pub use pubkey::Pubkey;
pub use rpc::SolanaRpc;

/// `tokenAddress` of SOL itself: the System program's key (spec §10).
pub const SOL_TOKEN: &str = pubkey::SYSTEM_PROGRAM;
