//! The Bitcoin client against a real Bitcoin Core–family node: Debian's `litecoind`, a fork of
//! Bitcoin Core 0.21 with the same blocks, scripts and JSON-RPC on regtest (only its address
//! prefixes differ, which is why outputs are matched by script). Each test starts its own
//! node (free port, temporary data directory, killed on drop). Without `litecoind` the tests
//! pass without running and say so, unless `SLUICE_REQUIRE_BITCOIN=1` (as CI sets it).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::litecoin::{Node, TPUB, on_node};
use serde_json::{Value, json};
use sluice_chain::ChainFamily as Family;
use sluice_chain::bitcoin::{BITCOIN_TOKEN, BitcoinAuth, BitcoinRpc, BitcoinRpcError};
use sluice_chain::family::{DirectPayment, PrepareError, Watch};
use sluice_chain::settlement::{ExpectedTransfer, Mismatch};
use sluice_domain::ChainName;
use sluice_domain::address::bitcoin_output_script;
use sluice_domain::deposit_key::{ChainFamily, ExtendedPublicKey};

#[tokio::test]
async fn the_node_names_its_network_and_refuses_wrong_credentials() {
    let Some(node) = Node::start().await else {
        return;
    };
    assert_eq!(node.rpc().network().await.unwrap(), "regtest");
    let wrong = BitcoinRpc::new(
        node.url.clone(),
        BitcoinAuth::UserPassword {
            user: "sluice".into(),
            password: "wrong".into(),
        },
        Duration::from_secs(5),
    );
    let refused = wrong.network().await.unwrap_err();
    assert!(
        matches!(refused, BitcoinRpcError::Unauthorized),
        "{refused:?}"
    );
    assert_eq!(
        node.rpc().block_hash(10_000).await.unwrap(),
        None,
        "above the tip"
    );
}

#[tokio::test]
async fn a_payment_to_a_derived_deposit_address_is_found_by_script() {
    let Some(node) = Node::start().await else {
        return;
    };
    let rpc = node.rpc();
    let payer = node.funded_payer("bech32").await;

    // Sluice's derivation of 0/0 and 0/1 is the node's own (compare witness programs).
    let key = ExtendedPublicKey::parse(TPUB).unwrap();
    let ours: Vec<String> = (0..2)
        .map(|i| key.deposit_address(ChainFamily::Btc, i).unwrap())
        .collect();
    let info: Value = rpc
        .call("getdescriptorinfo", json!([format!("wpkh({TPUB}/0/*)")]))
        .await
        .unwrap();
    let theirs: Vec<String> = rpc
        .call("deriveaddresses", json!([info["descriptor"], [0, 1]]))
        .await
        .unwrap();
    let scripts = |list: &[String]| -> Vec<Vec<u8>> {
        list.iter()
            .map(|a| bitcoin_output_script(a).unwrap())
            .collect()
    };
    assert_eq!(scripts(&ours), scripts(&theirs), "{ours:?} vs {theirs:?}");

    let deposit = &ours[0];
    let txid = node
        .wallet("sendtoaddress", json!([on_node(deposit), "0.12345678"]))
        .await;
    let mined: Vec<String> = rpc
        .call("generatetoaddress", json!([1, payer]))
        .await
        .unwrap();
    let height = rpc.block_count().await.unwrap();
    assert_eq!(height, 102);
    let hash = rpc.block_hash(height).await.unwrap().unwrap();
    assert_eq!(hash, mined[0]);
    let block = rpc.block(&hash).await.unwrap();
    assert_eq!(block.height, 102);
    assert_eq!(
        block.previous,
        rpc.block_hash(101).await.unwrap(),
        "the parent, for reorg checks"
    );
    let script = bitcoin_output_script(deposit).unwrap();
    let paid: Vec<_> = block
        .transactions
        .iter()
        .flat_map(|tx| tx.outputs.iter().map(move |o| (tx, o)))
        .filter(|(_, o)| o.script == script)
        .collect();
    assert_eq!(paid.len(), 1, "{block:?}");
    assert_eq!(paid[0].0.txid, txid.as_str().unwrap());
    assert_eq!(paid[0].1.value_sat, 12_345_678, "exact, in satoshis");
}

/// The block scan: deposits to watched addresses (each output, by script, in the deposit
/// addresses' own spelling), watched payments by txid, and a range the tip no longer reaches
/// after a reorg.
#[tokio::test]
async fn the_scan_finds_deposits_and_payments_and_notices_a_reorg() {
    let Some(node) = Node::start().await else {
        return;
    };
    let rpc = node.rpc();
    let chain = node.chain();
    assert_eq!(chain.network_id().await.unwrap(), "regtest");
    let payer = node.funded_payer("bech32").await;
    let key = ExtendedPublicKey::parse(TPUB).unwrap();
    let deposit = key.deposit_address(ChainFamily::Btc, 0).unwrap();
    let unwatched = key.deposit_address(ChainFamily::Btc, 1).unwrap();
    let first = node
        .wallet("sendtoaddress", json!([on_node(&deposit), "0.1"]))
        .await;
    let second = node
        .wallet("sendtoaddress", json!([on_node(&deposit), "0.25"]))
        .await;
    let other = node
        .wallet("sendtoaddress", json!([on_node(&unwatched), "1"]))
        .await;
    let _: Value = rpc
        .call("generatetoaddress", json!([1, payer]))
        .await
        .unwrap();

    let watched = deposit.clone();
    let is_watched = move |a: &str| a == watched;
    let payments: HashSet<String> = [other.as_str().unwrap().to_owned()].into();
    let watch = Watch {
        tokens: &[],
        addresses: &is_watched,
        payments: &payments,
    };
    let found = chain.scan(101, 102, &watch).await.unwrap().unwrap();
    assert_eq!(found.blocks.len(), 2);
    assert_eq!(found.blocks[1].parent_hash, found.blocks[0].hash);
    let mut arrivals: Vec<(String, u128)> = found
        .arrivals
        .iter()
        .map(|a| (a.tx_hash.clone(), a.amount))
        .collect();
    arrivals.sort();
    let mut expected = vec![
        (first.as_str().unwrap().to_owned(), 10_000_000),
        (second.as_str().unwrap().to_owned(), 25_000_000),
    ];
    expected.sort();
    assert_eq!(arrivals, expected, "each payment once, exact, in satoshis");
    assert!(found.arrivals.iter().all(|a| a.token == BITCOIN_TOKEN
        && a.to == deposit
        && a.block_number == 102
        && a.log_index.is_some()));
    assert_eq!(found.payments.len(), 1);
    assert_eq!(found.payments[0].tx_hash, other.as_str().unwrap());

    // A reorg takes block 102 away: the range is not there; a new block 102 has another hash.
    let tip = found.blocks[1].hash.clone();
    let _: Value = rpc.call("invalidateblock", json!([tip])).await.unwrap();
    assert_eq!(chain.scan(101, 102, &watch).await.unwrap(), None);
    let _: Value = rpc
        .call("generatetoaddress", json!([1, on_node(&unwatched)]))
        .await
        .unwrap();
    let again = chain.scan(102, 102, &watch).await.unwrap().unwrap();
    assert_ne!(again.blocks[0].hash, tip);
}

/// A wallet payment's PSBT, built from the payer's confirmed coins only, signed by the node's
/// wallet (which holds the payer's key, as the payer's own wallet would), broadcast and mined:
/// exactly the amount reaches the destination's script, change returns, RBF is signalled. For
/// a segwit payer and for a legacy one (whose inputs carry their whole previous transaction).
#[tokio::test]
async fn a_payment_psbt_is_signed_by_a_real_wallet_and_pays_exactly() {
    let Some(node) = Node::start().await else {
        return;
    };
    let rpc = node.rpc();
    let chain = node.chain();
    let key = ExtendedPublicKey::parse(TPUB).unwrap();
    let destination = key.deposit_address(ChainFamily::Btc, 0).unwrap();
    let destination_script = bitcoin_output_script(&destination).unwrap();
    for (kind, amount) in [("bech32", 50_000_000u64), ("legacy", 12_345_678)] {
        let payer = node.funded_payer(kind).await;
        // Legacy regtest addresses are base58 with Litecoin's version byte; take the script
        // from the node.
        let info = node.wallet("getaddressinfo", json!([payer])).await;
        let payer_script = data_encoding::HEXLOWER
            .decode(info["scriptPubKey"].as_str().unwrap().as_bytes())
            .unwrap();
        let coins = chain.spendable(&payer_script).await.unwrap();
        assert!(!coins.is_empty(), "{kind}: the matured coinbase outputs");
        assert_eq!(
            coins.iter().all(|c| c.previous_tx.is_some()),
            kind == "legacy"
        );

        let plan =
            sluice_chain::bitcoin::psbt::plan(coins, &destination_script, amount, &payer_script, 2)
                .unwrap();
        let psbt = data_encoding::BASE64.encode(&sluice_chain::bitcoin::psbt::psbt(&plan));
        let decoded: Value = rpc.call("decodepsbt", json!([psbt])).await.unwrap();
        let field = if kind == "legacy" {
            "non_witness_utxo"
        } else {
            "witness_utxo"
        };
        assert!(
            decoded["inputs"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i[field].is_object()),
            "{kind}: every input carries its {field}: {decoded}"
        );
        let signed = node.wallet("walletprocesspsbt", json!([psbt])).await;
        assert_eq!(signed["complete"], true, "{kind}: {signed}");
        let finished = node.wallet("finalizepsbt", json!([signed["psbt"]])).await;
        let decoded: Value = rpc
            .call("decoderawtransaction", json!([finished["hex"]]))
            .await
            .unwrap();
        assert!(
            decoded["vin"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["sequence"] == 0xffff_fffdu32),
            "{kind}: RBF signalled: {decoded}"
        );
        let txid: String = rpc
            .call("sendrawtransaction", json!([finished["hex"]]))
            .await
            .unwrap();
        let mined: Vec<String> = rpc
            .call("generatetoaddress", json!([1, payer]))
            .await
            .unwrap();
        let block = rpc.block(&mined[0]).await.unwrap();
        let tx = block
            .transactions
            .iter()
            .find(|t| t.txid == txid)
            .expect("mined");
        let to_destination: u64 = tx
            .outputs
            .iter()
            .filter(|o| o.script == destination_script)
            .map(|o| o.value_sat)
            .sum();
        assert_eq!(to_destination, amount, "{kind}: exactly the amount");
        let change: u64 = tx
            .outputs
            .iter()
            .filter(|o| o.script == payer_script)
            .map(|o| o.value_sat)
            .sum();
        let spent: u64 = plan.inputs.iter().map(|c| c.value_sat).sum();
        assert_eq!(change, spent - amount - plan.fee_sat, "{kind}: change back");
    }
}

/// The whole P6 read path: coins found, the node's fee estimate or the fallback, and a payer
/// whose coins do not cover amount and fee told by how much.
#[tokio::test]
async fn a_payment_psbt_from_the_node_or_a_shortfall() {
    let Some(node) = Node::start().await else {
        return;
    };
    let rpc = node.rpc();
    let chain = node.chain();
    let payer = node.funded_payer("bech32").await;
    assert_eq!(
        chain.fee_rate().await.unwrap(),
        None,
        "a fresh chain has no estimate"
    );
    let key = ExtendedPublicKey::parse(TPUB).unwrap();
    let to = key.deposit_address(ChainFamily::Btc, 0).unwrap();
    let (psbt, plan) = chain
        .payment_psbt(&payer, &to, 100_000_000, 3)
        .await
        .unwrap()
        .unwrap();
    let decoded: Value = rpc.call("decodepsbt", json!([psbt])).await.unwrap();
    assert_eq!(decoded["tx"]["vout"][0]["value"].to_string(), "1.0");
    assert!(
        decoded["inputs"][0]["witness_utxo"].is_object(),
        "{decoded}"
    );
    assert_eq!(plan.fee_sat, (11 + 68 + 2 * 31) * 3, "the fallback rate");
    let short = chain
        .payment_psbt(&payer, &to, 101 * 100_000_000, 3)
        .await
        .unwrap()
        .unwrap_err();
    // 101 blocks: the coinbases of blocks 1 and 2 may be spent by the next block (100
    // confirmations); the 99 younger ones may not, and are not offered.
    assert_eq!(short.available, 100 * 100_000_000, "two matured coinbases");
}

/// The family boundary end to end: P6's PSBT, signed by a real wallet and broadcast; not
/// found while in the mempool; located and judged once mined (exact, short, elsewhere); gone
/// again after a reorg.
#[tokio::test]
async fn the_family_builds_finds_and_judges_a_wallet_payment() {
    let Some(node) = Node::start().await else {
        return;
    };
    let rpc = node.rpc();
    let chain = node.chain();
    let family: &dyn Family = &chain;
    let payer = node.funded_payer("bech32").await;
    assert_eq!(family.native_decimals(), 8);
    assert_eq!(
        family.transfer_fee(true).await.unwrap(),
        141 * 3,
        "fallback rate"
    );
    assert_eq!(
        family.balance(&payer, None).await.unwrap(),
        100 * 100_000_000
    );
    let key = ExtendedPublicKey::parse(TPUB).unwrap();
    let merchant = key.deposit_address(ChainFamily::Btc, 0).unwrap();
    let payment = DirectPayment {
        flow_id: "flow_btc",
        from: &payer,
        to: &merchant,
        token: None,
        amount: 30_000_000,
        token_symbol: "BTC",
        assert_balance_for_transfer_amount: true,
        expires_at_ms: 0,
        assert_balance_for_gas_cost: true,
    };
    let payload = family
        .signing_payload(&payment, (ChainName::Btc, "1"))
        .await
        .unwrap();
    assert!(payload.evm_transaction.is_none());
    let signed = node
        .wallet("walletprocesspsbt", json!([payload.psbt.unwrap()]))
        .await;
    let finished = node.wallet("finalizepsbt", json!([signed["psbt"]])).await;
    let txid: String = rpc
        .call("sendrawtransaction", json!([finished["hex"]]))
        .await
        .unwrap();
    let expected = ExpectedTransfer {
        flow_id: "flow_btc",
        token: None,
        from: &payer,
        to: &merchant,
        min_amount: 30_000_000,
    };
    assert_eq!(
        family.check_payment(&txid, &expected).await.unwrap(),
        None,
        "mempool"
    );
    let mined: Vec<String> = rpc
        .call("generatetoaddress", json!([1, payer]))
        .await
        .unwrap();
    let located = family.locate(&txid).await.unwrap().unwrap();
    assert_eq!(
        (located.block_number, located.block_hash.as_str()),
        (102, mined[0].as_str())
    );
    let checked = family
        .check_payment(&txid, &expected)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(checked.verdict, Ok(30_000_000));
    let more = ExpectedTransfer {
        flow_id: "flow_btc",
        min_amount: 30_000_001,
        ..expected.clone()
    };
    let short = family.check_payment(&txid, &more).await.unwrap().unwrap();
    assert_eq!(
        short.verdict,
        Err(Mismatch::TooLittle { actual: 30_000_000 })
    );
    let elsewhere = key.deposit_address(ChainFamily::Btc, 1).unwrap();
    let wrong = ExpectedTransfer {
        flow_id: "flow_btc",
        to: &elsewhere,
        ..expected.clone()
    };
    let verdict = family
        .check_payment(&txid, &wrong)
        .await
        .unwrap()
        .unwrap()
        .verdict;
    assert!(
        matches!(verdict, Err(Mismatch::WrongRecipient { .. })),
        "{verdict:?}"
    );

    let too_much = DirectPayment {
        flow_id: "flow_btc",
        amount: 200 * 100_000_000,
        ..payment
    };
    let refused = family
        .signing_payload(&too_much, (ChainName::Btc, "1"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, PrepareError::Insufficient { .. }),
        "{refused:?}"
    );

    let _: Value = rpc
        .call("invalidateblock", json!([mined[0]]))
        .await
        .unwrap();
    assert_eq!(
        family.check_payment(&txid, &expected).await.unwrap(),
        None,
        "reorged away (back in the mempool)"
    );
}

/// Payers preparing at once: the node runs one UTXO scan at a time, and every one of them
/// still gets its coins.
#[tokio::test]
async fn concurrent_coin_lookups_take_turns() {
    let Some(node) = Node::start().await else {
        return;
    };
    let payer = node.funded_payer("bech32").await;
    let chain = node.chain();
    let script = bitcoin_output_script(&payer).unwrap();
    let lookups = (0..8).map(|_| chain.spendable(&script));
    for coins in futures::future::join_all(lookups).await {
        assert_eq!(coins.unwrap().len(), 2, "two matured coinbases each time");
    }
}
