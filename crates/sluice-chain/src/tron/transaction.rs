//! A TRON transaction's `raw_data`, serialised by hand as protobuf exactly as TRON's own SDK
//! (tronweb, through google-protobuf) serialises it: fields in field-number order, proto3
//! defaults (zero, empty) left out. The wallet signs sha256 of these bytes (the txID), and
//! tronweb refuses to sign a transaction whose `raw_data_hex` it would not produce itself,
//! so "equivalent" is not enough: the bytes must be the SDK's. The tests check them against
//! tronweb (tools/tron/oracle.mjs). Messages and field numbers: java-tron's `Tron.proto`
//! (`Transaction.raw`, `Transaction.Contract`) and `contract/*.proto`.

use sha2::{Digest, Sha256};

use super::address::TronAddress;

/// `Transaction.Contract.ContractType`.
const TRANSFER_CONTRACT: u64 = 1;
const TRIGGER_SMART_CONTRACT: u64 = 31;

/// The one contract of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contract {
    /// TRX from `owner` to `to`, in sun.
    Transfer {
        owner: TronAddress,
        to: TronAddress,
        amount: i64,
    },
    /// A call of `contract` with ABI `data` (a TRC-20 `transfer`), no TRX attached.
    Trigger {
        owner: TronAddress,
        contract: TronAddress,
        data: Vec<u8>,
    },
}

/// `Transaction.raw` as a payment needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTransaction {
    /// Bytes 6 and 7 of the reference block's number (big-endian).
    pub ref_block_bytes: [u8; 2],
    /// Bytes 8 to 15 of the reference block's ID.
    pub ref_block_hash: [u8; 8],
    /// Milliseconds since the epoch after which no node accepts the transaction.
    pub expiration: i64,
    pub contract: Contract,
    /// Milliseconds since the epoch, when it was built.
    pub timestamp: i64,
    /// The most TRX (sun) the caller lets a contract call burn for energy; `None` for TRX.
    pub fee_limit: Option<i64>,
}

impl RawTransaction {
    /// The reference fields from the latest block: its number and its 32-byte ID.
    pub fn reference(number: u64, block_id: &[u8; 32]) -> ([u8; 2], [u8; 8]) {
        let n = number.to_be_bytes();
        ([n[6], n[7]], block_id[8..16].try_into().expect("8 bytes"))
    }

    /// The serialised `raw_data`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        bytes_field(&mut out, 1, &self.ref_block_bytes);
        bytes_field(&mut out, 4, &self.ref_block_hash);
        varint_field(&mut out, 8, self.expiration as u64);
        bytes_field(&mut out, 11, &self.contract.encode());
        varint_field(&mut out, 14, self.timestamp as u64);
        if let Some(limit) = self.fee_limit {
            varint_field(&mut out, 18, limit as u64);
        }
        out
    }

    /// The transaction ID: sha256 of the serialised `raw_data`, what the owner signs.
    pub fn tx_id(&self) -> [u8; 32] {
        Sha256::digest(self.encode()).into()
    }
}

impl Contract {
    fn encode(&self) -> Vec<u8> {
        let (kind, name, parameter) = match self {
            Self::Transfer { owner, to, amount } => {
                let mut p = Vec::new();
                bytes_field(&mut p, 1, &owner.0);
                bytes_field(&mut p, 2, &to.0);
                varint_field(&mut p, 3, *amount as u64);
                (TRANSFER_CONTRACT, "TransferContract", p)
            }
            Self::Trigger {
                owner,
                contract,
                data,
            } => {
                let mut p = Vec::new();
                bytes_field(&mut p, 1, &owner.0);
                bytes_field(&mut p, 2, &contract.0);
                bytes_field(&mut p, 4, data);
                (TRIGGER_SMART_CONTRACT, "TriggerSmartContract", p)
            }
        };
        let mut any = Vec::new();
        let type_url = format!("type.googleapis.com/protocol.{name}");
        bytes_field(&mut any, 1, type_url.as_bytes());
        bytes_field(&mut any, 2, &parameter);
        let mut out = Vec::new();
        varint_field(&mut out, 1, kind);
        bytes_field(&mut out, 2, &any);
        out
    }
}

/// A varint field; proto3 leaves a zero out.
fn varint_field(out: &mut Vec<u8>, field: u32, value: u64) {
    if value == 0 {
        return;
    }
    varint(out, u64::from(field) << 3);
    varint(out, value);
}

/// A length-delimited field; proto3 leaves an empty one out.
fn bytes_field(out: &mut Vec<u8>, field: u32, value: &[u8]) {
    if value.is_empty() {
        return;
    }
    varint(out, (u64::from(field) << 3) | 2);
    varint(out, value.len() as u64);
    out.extend_from_slice(value);
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_skipped_defaults() {
        let mut out = Vec::new();
        varint(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
        let mut out = Vec::new();
        varint_field(&mut out, 3, 0);
        bytes_field(&mut out, 4, &[]);
        assert!(out.is_empty(), "proto3 defaults are not written");
    }

    #[test]
    fn the_reference_is_the_blocks_number_and_id_bytes() {
        let mut id = [0u8; 32];
        for (i, b) in id.iter_mut().enumerate() {
            *b = i as u8;
        }
        let (bytes, hash) = RawTransaction::reference(0x0123_4567, &id);
        assert_eq!(bytes, [0x45, 0x67]);
        assert_eq!(hash, [8, 9, 10, 11, 12, 13, 14, 15]);
    }
}
