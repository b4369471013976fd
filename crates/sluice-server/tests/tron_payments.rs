//! TRON wallet payments end to end against the FullNode double (tests/common/tron_node.rs),
//! with TRC-20 executed on a real EVM: attach a TRON wallet, quote, P6's `tronTransaction`
//! signed by TRON's own SDK and broadcast to the node, which checks it as a real node does,
//! P7's txID, and the chain watcher's verdict after `confirmations` blocks.

mod common;

use common::Backend;
use common::deposit_world::states;
use common::tron_world::{FLOW_SUN, MERCHANT, PAYER_KEY, TronWorld};
use serde_json::json;
use sluice_chain::tron::TRX_TOKEN;

both_backends!(trx_and_usdt_wallet_payments_settle_after_their_confirmations);

async fn trx_and_usdt_wallet_payments_settle_after_their_confirmations(backend: Backend) {
    let Some(w) = TronWorld::start(backend).await else {
        return;
    };
    for token in [TRX_TOKEN.to_owned(), w.usdt.to_string()] {
        let flow = w.create_flow(&token, json!({})).await;
        let (session, tx) = w.prepared(&flow, &token).await;
        assert_eq!(tx["to"], MERCHANT);
        let expected = if token == TRX_TOKEN {
            FLOW_SUN
        } else {
            25_000_000
        };
        assert_eq!(tx["value"], format!("0x{expected:x}"));
        let sent = w
            .sign_and_broadcast(tx["rawDataHex"].as_str().unwrap(), &PAYER_KEY)
            .await;
        assert_eq!(sent["result"], true, "{sent}");
        let body = json!({"txHash": sent["txid"]});
        let reply = w.pay_step(&flow, &session, "/broadcast", &body).await;
        assert_eq!(reply["executionState"], "broadcasted");
        w.mine_and_step(1).await;
        assert_eq!(states(&w.view(&flow).await).1, "none", "one block of two");
        w.mine_and_step(1).await;
        let view = w.view(&flow).await;
        assert_eq!(
            states(&view),
            ("source_confirmed".into(), "completed".into()),
            "{token}: {view}"
        );
    }
}
