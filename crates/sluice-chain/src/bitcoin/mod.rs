//! The Bitcoin family: a Bitcoin Core JSON-RPC client (`rpc`). Outputs are matched by script
//! (`sluice_domain::address::bitcoin_output_script`), so nodes of Bitcoin Core forks, which
//! spell addresses with their own prefixes, describe the same payments. The family's
//! settlement (`ChainFamily`) builds on it.

mod rpc;

pub use rpc::{
    BitcoinAuth, BitcoinResult, BitcoinRpc, BitcoinRpcError, Block, Output, Transaction, satoshis,
};
