//! The TRON double's reading of a transaction's `raw_data` protobuf (java-tron's
//! `Tron.proto`: `Transaction.raw`, `Transaction.Contract`, `TransferContract`,
//! `TriggerSmartContract`), independent of Sluice's writer: a small protobuf reader, and the
//! JSON the HTTP API shows for the same transaction.

use serde_json::{Value, json};
use sluice_chain::tron::TronAddress;

pub enum Kind {
    Transfer {
        to: TronAddress,
        amount: u64,
    },
    Trigger {
        contract: TronAddress,
        data: Vec<u8>,
    },
}

pub struct Decoded {
    pub tx_id: String,
    pub owner: TronAddress,
    pub kind: Kind,
    pub ref_block_bytes: [u8; 2],
    pub ref_block_hash: [u8; 8],
    pub expiration: i64,
    pub fee_limit: u64,
    /// `raw_data` as the HTTP API shows it (addresses in hex).
    pub raw_json: Value,
}

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// The fields of one message, in order; `None` if it is not well-formed protobuf.
fn fields(mut input: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let key = varint(&mut input)?;
        let field = match key & 7 {
            0 => Field::Varint(varint(&mut input)?),
            2 => {
                let len = usize::try_from(varint(&mut input)?).ok()?;
                let (value, rest) = (input.get(..len)?, input.get(len..)?);
                input = rest;
                Field::Bytes(value)
            }
            _ => return None,
        };
        out.push((key >> 3, field));
    }
    Some(out)
}

fn varint(input: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = input.split_first()?;
        *input = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn bytes<'a>(fields: &[(u64, Field<'a>)], number: u64) -> &'a [u8] {
    fields
        .iter()
        .find_map(|(n, f)| match f {
            Field::Bytes(b) if *n == number => Some(*b),
            _ => None,
        })
        .unwrap_or_default()
}

fn int(fields: &[(u64, Field<'_>)], number: u64) -> u64 {
    fields
        .iter()
        .find_map(|(n, f)| match f {
            Field::Varint(v) if *n == number => Some(*v),
            _ => None,
        })
        .unwrap_or(0)
}

fn address(bytes: &[u8]) -> Option<TronAddress> {
    Some(TronAddress(bytes.try_into().ok()?))
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// Reads a `raw_data` holding one TransferContract or TriggerSmartContract.
pub fn decode_raw(raw: &[u8], tx_id: &str) -> Option<Decoded> {
    let top = fields(raw)?;
    let contracts: Vec<&[u8]> = top
        .iter()
        .filter_map(|(n, f)| match f {
            Field::Bytes(b) if *n == 11 => Some(*b),
            _ => None,
        })
        .collect();
    let [contract] = contracts[..] else {
        return None;
    };
    let contract = fields(contract)?;
    let any = fields(bytes(&contract, 2))?;
    let type_url = std::str::from_utf8(bytes(&any, 1)).ok()?;
    let parameter = fields(bytes(&any, 2))?;
    let owner = address(bytes(&parameter, 1))?;
    let (kind, type_name, value) = match (int(&contract, 1), type_url) {
        (1, "type.googleapis.com/protocol.TransferContract") => {
            let to = address(bytes(&parameter, 2))?;
            let amount = int(&parameter, 3);
            let value = json!({"amount": amount, "owner_address": owner.to_hex(), "to_address": to.to_hex()});
            (Kind::Transfer { to, amount }, "TransferContract", value)
        }
        (31, "type.googleapis.com/protocol.TriggerSmartContract") => {
            let contract = address(bytes(&parameter, 2))?;
            let data = bytes(&parameter, 4).to_vec();
            let value = json!({"data": hex(&data), "owner_address": owner.to_hex(), "contract_address": contract.to_hex()});
            (
                Kind::Trigger { contract, data },
                "TriggerSmartContract",
                value,
            )
        }
        _ => return None,
    };
    let ref_block_bytes: [u8; 2] = bytes(&top, 1).try_into().ok()?;
    let ref_block_hash: [u8; 8] = bytes(&top, 4).try_into().ok()?;
    let expiration = i64::try_from(int(&top, 8)).ok()?;
    let fee_limit = int(&top, 18);
    let mut raw_json = json!({
        "contract": [{"parameter": {"value": value, "type_url": type_url}, "type": type_name}],
        "ref_block_bytes": hex(&ref_block_bytes), "ref_block_hash": hex(&ref_block_hash),
        "expiration": expiration, "timestamp": int(&top, 14),
    });
    if fee_limit > 0 {
        raw_json["fee_limit"] = json!(fee_limit);
    }
    Some(Decoded {
        tx_id: tx_id.to_owned(),
        owner,
        kind,
        ref_block_bytes,
        ref_block_hash,
        expiration,
        fee_limit,
        raw_json,
    })
}
