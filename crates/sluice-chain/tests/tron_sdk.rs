//! Sluice's TRON transactions against TRON's own SDK (tronweb, offline): the `raw_data` bytes
//! Sluice builds are the bytes tronweb serialises for the same transaction (so a wallet's SDK
//! accepts them), the txID is tronweb's, and a signature tronweb makes over it recovers the
//! owner's address, as a node checks on broadcast.

mod common;

use common::tron_sdk::oracle;
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use serde_json::json;
use sha3::{Digest, Keccak256};
use sluice_chain::tron::{Contract, RawTransaction, TronAddress};

const KEY: [u8; 32] = [7; 32];

fn address_of(key: &VerifyingKey) -> TronAddress {
    let point = key.to_encoded_point(false);
    let hash = Keccak256::digest(&point.as_bytes()[1..]);
    TronAddress::from_evm(hash[12..].try_into().unwrap())
}

fn raw(contract: Contract, fee_limit: Option<i64>) -> RawTransaction {
    let mut block_id = [0u8; 32];
    block_id[..8].copy_from_slice(&0x0123_4567u64.to_be_bytes());
    block_id[8..].fill(0xab);
    let (ref_block_bytes, ref_block_hash) = RawTransaction::reference(0x0123_4567, &block_id);
    RawTransaction {
        ref_block_bytes,
        ref_block_hash,
        expiration: 1_795_428_060_000,
        contract,
        timestamp: 1_795_428_000_000,
        fee_limit,
    }
}

/// The owner a 65-byte TRON signature (r ‖ s ‖ v, v 27/28 or 0/1) over `tx_id` recovers.
fn signer(tx_id: &[u8; 32], signature_hex: &str) -> TronAddress {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(signature_hex.as_bytes())
        .unwrap();
    let signature = Signature::from_slice(&bytes[..64]).unwrap();
    let v = bytes[64];
    let id = RecoveryId::from_byte(if v >= 27 { v - 27 } else { v }).unwrap();
    let key = VerifyingKey::recover_from_prehash(tx_id, &signature, id).unwrap();
    address_of(&key)
}

fn check_against_the_sdk(tx: &RawTransaction, owner: TronAddress) -> Option<serde_json::Value> {
    let hex = data_encoding::HEXLOWER.encode(&tx.encode());
    let decoded = oracle(json!({"op": "decode", "rawDataHex": hex}))?;
    assert_eq!(
        decoded["rawDataHex"], hex,
        "tronweb serialises the same bytes"
    );
    assert_eq!(
        decoded["txID"],
        data_encoding::HEXLOWER.encode(&tx.tx_id()),
        "the same txID"
    );
    assert_eq!(decoded["owner"], owner.to_string());
    assert_eq!(decoded["refBlockBytes"], "4567");
    assert_eq!(decoded["refBlockHash"], "abababababababab");
    assert_eq!(decoded["expiration"], 1_795_428_060_000i64);
    let key = data_encoding::HEXLOWER.encode(&KEY);
    let signed = oracle(json!({"op": "sign", "rawDataHex": hex, "privateKey": key}))?;
    assert_eq!(
        signer(&tx.tx_id(), signed["signature"].as_str().unwrap()),
        owner,
        "the SDK's signature recovers the owner"
    );
    Some(decoded)
}

#[test]
fn a_trx_transfer_is_the_sdks() {
    let owner = address_of(SigningKey::from_bytes(&KEY.into()).unwrap().verifying_key());
    let to = TronAddress::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
    let contract = Contract::Transfer {
        owner,
        to,
        amount: 25_000_000,
    };
    let Some(decoded) = check_against_the_sdk(&raw(contract, None), owner) else {
        return;
    };
    assert_eq!(decoded["contractType"], 1);
    assert_eq!(
        decoded["typeUrl"],
        "type.googleapis.com/protocol.TransferContract"
    );
    assert_eq!(decoded["to"], to.to_string());
    assert_eq!(decoded["amount"], 25_000_000);
    assert_eq!(decoded["feeLimit"], 0);
}

#[test]
fn a_trc20_transfer_is_the_sdks() {
    let owner = address_of(SigningKey::from_bytes(&KEY.into()).unwrap().verifying_key());
    let usdt = TronAddress::parse("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
    let to = TronAddress::parse("TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH").unwrap();
    let calldata = sluice_chain::erc20::transfer_calldata(
        &format!("0x{}", data_encoding::HEXLOWER.encode(&to.evm_bytes())),
        25_000_000,
    );
    let data = data_encoding::HEXLOWER
        .decode(calldata.trim_start_matches("0x").as_bytes())
        .unwrap();
    let contract = Contract::Trigger {
        owner,
        contract: usdt,
        data: data.clone(),
    };
    let Some(decoded) = check_against_the_sdk(&raw(contract, Some(100_000_000)), owner) else {
        return;
    };
    assert_eq!(decoded["contractType"], 31);
    assert_eq!(
        decoded["typeUrl"],
        "type.googleapis.com/protocol.TriggerSmartContract"
    );
    assert_eq!(decoded["contract"], usdt.to_string());
    assert_eq!(decoded["callValue"], 0);
    assert_eq!(decoded["data"], data_encoding::HEXLOWER.encode(&data));
    assert_eq!(decoded["feeLimit"], 100_000_000);
}
