use std::collections::HashSet;

use serde_json::json;

use super::*;

const WATCHED: &str = "TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH";
const USDT: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";

fn watched_hex() -> String {
    TronAddress::parse(WATCHED).unwrap().to_hex()
}

/// A block as the HTTP API answers it: a TRX transfer to the watched address, one that
/// failed, and a TRC-20 call (its logs are in the infos).
fn block() -> Block {
    let transfer = |id: &str, ret: &str| {
        json!({"ret": [{"contractRet": ret}], "txID": id,
            "raw_data": {"contract": [{"type": "TransferContract", "parameter": {"value": {"amount": 7_000_000, "owner_address": "41aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "to_address": watched_hex()}}}]}})
    };
    serde_json::from_value(json!({
        "blockID": "0000000000000064AB00000000000000000000000000000000000000000000ff",
        "block_header": {"raw_data": {"number": 100, "parentHash": "0000000000000063ab", "timestamp": 1}},
        "transactions": [
            transfer("AA01", "SUCCESS"),
            transfer("aa02", "REVERT"),
            {"ret": [{"contractRet": "SUCCESS"}], "txID": "aa03",
             "raw_data": {"contract": [{"type": "TriggerSmartContract", "parameter": {"value": {}}}]}}
        ]
    }))
    .unwrap()
}

fn transfer_log(token: &str, to: &str, amount: u128) -> serde_json::Value {
    let to = TronAddress::parse(to).unwrap();
    json!({
        "address": data_encoding::HEXLOWER.encode(&TronAddress::parse(token).unwrap().evm_bytes()),
        "topics": [
            TRANSFER_TOPIC.trim_start_matches("0x"),
            format!("{:0>64}", "aa"),
            format!("{:0>64}", data_encoding::HEXLOWER.encode(&to.evm_bytes())),
        ],
        "data": format!("{amount:064x}"),
    })
}

#[test]
fn trx_transfers_and_token_logs_to_watched_addresses_are_found() {
    let infos: Vec<TransactionInfo> = serde_json::from_value(json!([
        {"id": "aa03", "blockNumber": 100, "receipt": {"result": "SUCCESS"},
         "log": [transfer_log(USDT, "TSeJkUh4Qv67VNFwY8LaAxERygNdy6NQZK", 1), transfer_log(USDT, WATCHED, 25_000_000)]},
        {"id": "aa04", "blockNumber": 100, "receipt": {"result": "REVERT"}, "result": "FAILED",
         "log": [transfer_log(USDT, WATCHED, 99)]}
    ]))
    .unwrap();
    let tokens = vec![USDT.to_owned()];
    let payments: HashSet<String> = ["aa01".to_owned()].into();
    let addresses = |a: &str| a == WATCHED;
    let watch = Watch {
        tokens: &tokens,
        addresses: &addresses,
        payments: &payments,
    };
    let mut found = ScannedRange::default();
    read_block(&block(), &infos, &watch, &mut found);
    let hash = "0000000000000064ab00000000000000000000000000000000000000000000ff";
    assert_eq!(found.blocks[0].number, 100);
    assert_eq!(found.blocks[0].hash, hash);
    assert_eq!(
        found.payments.len(),
        1,
        "the watched payment, by txID in any case"
    );
    assert_eq!(found.payments[0].tx_hash, "aa01");
    let arrivals: Vec<_> = found
        .arrivals
        .iter()
        .map(|a| (a.token.as_str(), a.amount, a.tx_hash.as_str(), a.log_index))
        .collect();
    assert_eq!(
        arrivals,
        [
            (TRX_TOKEN, 7_000_000, "aa01", None),
            (USDT, 25_000_000, "aa03", Some(1)),
        ],
        "the failed transfer and the reverted call's log are not arrivals"
    );
    assert!(found.arrivals.iter().all(|a| a.to == WATCHED));
}

#[test]
fn the_public_networks_genesis_ids_end_in_their_chain_ids() {
    for id in ["728126428", "2494104990", "3448148188"] {
        let genesis = known_genesis(id).unwrap();
        let tail = u32::from_str_radix(&genesis[56..], 16).unwrap();
        assert_eq!(tail.to_string(), id);
    }
    assert_eq!(known_genesis("1"), None);
}
