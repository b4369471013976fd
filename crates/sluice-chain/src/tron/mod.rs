//! The TRON family (spec §10.2). TRON's addresses are Ethereum's keys under another spelling
//! (base58check of `0x41` ‖ 20 bytes), its tokens are Solidity contracts (TRC-20, the same
//! `transfer(address,uint256)` and `Transfer` event), and its transactions are protobuf
//! messages signed over sha256 of their `raw_data`.

pub mod address;
pub mod chain;
mod family;
pub mod rpc;
pub mod transaction;

pub use address::TronAddress;
pub use chain::TronChain;
pub use rpc::{TronRpc, TronRpcError};
pub use transaction::{Contract, RawTransaction};

/// `tokenAddress` of TRX itself: the base58 spelling of the zero address (spec §10).
pub const TRX_TOKEN: &str = "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb";
