//! The Bitcoin family: a Bitcoin Core JSON-RPC client (`rpc`), the network a chain is
//! (`network`) and the block scan (`chain`). Outputs are matched by script
//! (`sluice_domain::address::bitcoin_output_script`), so nodes of Bitcoin Core forks, which
//! spell addresses with their own prefixes, describe the same payments. The family's
//! settlement (`ChainFamily`, with PSBTs for wallet payments) builds on these.

mod chain;
mod family;
mod network;
pub mod psbt;
mod rpc;

pub use chain::{BITCOIN_TOKEN, BitcoinChain};
pub use network::BitcoinNetwork;
pub use rpc::{
    BitcoinAuth, BitcoinResult, BitcoinRpc, BitcoinRpcError, Block, Output, Transaction, satoshis,
};
