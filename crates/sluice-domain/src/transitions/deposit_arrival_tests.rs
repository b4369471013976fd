//! The amount rules of deposit-paid flows (spec §9), one test per rule.

use super::tests::flow;
use super::*;
use crate::deposit_transfer::ObservedTransfer;
use crate::flow::{FlowQuote, Source};

const TOKEN: &str = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const ADDRESS: &str = "0x9858EfFD232B4033E47d90003D41EC34EcaEda94";

fn quoted(source_type: SourceType, state: ExecutionState) -> Flow {
    let mut f = flow(state, SettlementState::None, Some(TokenHash([7; 32])));
    f.source = Some(Source {
        source_type,
        from_address: None,
        from_chain_id: Some("31337".into()),
        from_chain_name: Some(crate::ChainName::Evm),
        refund_address: None,
    });
    f.deposit_address = Some(ADDRESS.into());
    f.to_address = Some(ADDRESS.into());
    f.to_chain_id = Some("31337".into());
    f.to_token = Some(TOKEN.to_uppercase().replace("0X", "0x"));
    f.quote = Some(FlowQuote {
        version: 1,
        from_amount: "25000000".into(),
        to_amount: "25000000".into(),
        fees: None,
        estimated_time_sec: None,
        signing_payload: None,
        created_at: Timestamp(0),
        expires_at: f.expires_at,
        from_token_info: None,
        to_token_info: None,
    });
    f
}

fn transfer(tx: u8, amount: u128) -> ObservedTransfer {
    ObservedTransfer {
        chain_id: "31337".into(),
        token_address: TOKEN.into(),
        tx_hash: format!("0x{}", format!("{tx:02x}").repeat(32)),
        log_index: Some(0),
        amount,
        block_number: 5,
    }
}

fn deposit_events(t: &Transition) -> Vec<serde_json::Value> {
    t.events
        .iter()
        .filter(|e| e.event_type == "flow.deposit.received")
        .map(|e| serde_json::from_str::<serde_json::Value>(&e.payload).unwrap()["data"].clone())
        .collect()
}

#[test]
fn a_seen_transfer_detects_the_flow_once() {
    let f = quoted(SourceType::DepositAddress, ExecutionState::Quoted);
    let seen = deposit_seen(&f, &transfer(1, 10), Timestamp(5)).unwrap();
    assert_eq!(seen.flow.execution_state, ExecutionState::SourceDetected);
    assert_eq!(seen.flow.tx_hash, Some(transfer(1, 10).tx_hash));
    assert!(deposit_seen(&seen.flow, &transfer(2, 10), Timestamp(6)).is_err());
}

#[test]
fn split_transfers_add_up_and_the_last_one_settles() {
    let f = quoted(SourceType::DepositAddress, ExecutionState::Quoted);
    let first = record_deposit(&f, &transfer(1, 10_000_000), Timestamp(5)).unwrap();
    assert_eq!(first.flow.execution_state, ExecutionState::SourceDetected);
    assert_eq!(first.flow.settlement_state, SettlementState::None);
    assert_eq!(deposit_events(&first)[0]["counted"], true);
    let again = record_deposit(&first.flow, &transfer(1, 10_000_000), Timestamp(6));
    assert_eq!(again.unwrap_err(), Rejection::AlreadyRecorded);
    let second = record_deposit(&first.flow, &transfer(2, 15_000_000), Timestamp(7)).unwrap();
    let done = &second.flow;
    assert_eq!(
        (done.execution_state, done.settlement_state),
        (ExecutionState::SourceConfirmed, SettlementState::Completed)
    );
    assert_eq!(done.settlement_tx_hash, Some(transfer(2, 0).tx_hash));
    let settlement = done.settlement.as_ref().unwrap();
    assert_eq!(
        (
            settlement.to_address.as_str(),
            settlement.excess_amount.as_deref()
        ),
        (ADDRESS, None)
    );
    assert_eq!(done.session_token_hash, None);
}

#[test]
fn overpayment_completes_and_records_the_excess() {
    let f = quoted(SourceType::DepositAddress, ExecutionState::SourceAttached);
    let done = record_deposit(&f, &transfer(1, 30_000_000), Timestamp(5))
        .unwrap()
        .flow;
    assert_eq!(done.settlement_state, SettlementState::Completed);
    assert_eq!(
        done.settlement.unwrap().excess_amount.as_deref(),
        Some("5000000")
    );
}

#[test]
fn late_wrong_token_and_wrong_chain_transfers_are_recorded_not_counted() {
    let f = quoted(SourceType::DepositAddress, ExecutionState::Quoted);
    let settled = record_deposit(&f, &transfer(1, 25_000_000), Timestamp(5))
        .unwrap()
        .flow;
    let late = record_deposit(&settled, &transfer(2, 5), Timestamp(6)).unwrap();
    assert_eq!(late.flow.settlement_state, SettlementState::Completed);
    assert_eq!(deposit_events(&late)[0]["reason"], "flow_settled");
    assert_eq!(late.flow.deposits.len(), 2);

    let mut wrong_token = transfer(3, 25_000_000);
    wrong_token.token_address = crate::deposit_transfer::NATIVE_TOKEN.into();
    let t = record_deposit(&f, &wrong_token, Timestamp(6)).unwrap();
    assert_eq!(t.flow.execution_state, ExecutionState::Quoted);
    assert_eq!(deposit_events(&t)[0]["reason"], "wrong_token");
    assert_eq!(deposit_events(&t)[0]["counted"], false);

    let mut wrong_chain = transfer(4, 25_000_000);
    wrong_chain.chain_id = "1".into();
    let t = record_deposit(&f, &wrong_chain, Timestamp(6)).unwrap();
    assert_eq!(t.flow.deposits[0].reason.as_deref(), Some("wrong_chain"));

    let cancelled = flow_in(ExecutionState::Cancelled);
    let t = record_deposit(&cancelled, &transfer(5, 25_000_000), Timestamp(6)).unwrap();
    assert_eq!(t.flow.execution_state, ExecutionState::Cancelled);
    assert_eq!(deposit_events(&t)[0]["reason"], "flow_final");
    // Overdue but not yet swept is as final as expired.
    let overdue = quoted(SourceType::DepositAddress, ExecutionState::Quoted);
    let t = record_deposit(&overdue, &transfer(6, 25_000_000), overdue.expires_at).unwrap();
    assert_eq!(t.flow.deposits[0].reason.as_deref(), Some("flow_final"));
}

fn flow_in(state: ExecutionState) -> Flow {
    quoted(SourceType::DepositAddress, state)
}

#[test]
fn exchange_sources_count_from_quoted_and_broadcasted_only() {
    for (state, counts) in [
        (ExecutionState::SourceAttached, false),
        (ExecutionState::Quoted, true),
        (ExecutionState::Broadcasted, true),
    ] {
        let f = quoted(SourceType::Exchange, state);
        let t = record_deposit(&f, &transfer(1, 1), Timestamp(5)).unwrap();
        assert_eq!(t.flow.deposits[0].counted, counts, "{state:?}");
    }
    let f = quoted(SourceType::Exchange, ExecutionState::SourceAttached);
    let t = record_deposit(&f, &transfer(1, 1), Timestamp(5)).unwrap();
    assert_eq!(t.flow.deposits[0].reason.as_deref(), Some("not_quoted"));
    let wallet = quoted(SourceType::Wallet, ExecutionState::Quoted);
    assert!(deposit_seen(&wallet, &transfer(1, 1), Timestamp(5)).is_err());
    let t = record_deposit(&wallet, &transfer(1, 1), Timestamp(5)).unwrap();
    assert_eq!(t.flow.deposits[0].reason.as_deref(), Some("source_changed"));
}

#[test]
fn short_at_expiry_fails_as_underpaid_with_both_amounts() {
    let f = quoted(SourceType::DepositAddress, ExecutionState::Quoted);
    let short = record_deposit(&f, &transfer(1, 20_000_000), Timestamp(5))
        .unwrap()
        .flow;
    assert!(
        fail_underpaid(&short, Timestamp(9_999)).is_err(),
        "not yet expired"
    );
    let failed = fail_underpaid(&short, short.expires_at).unwrap().flow;
    assert_eq!(failed.execution_state, ExecutionState::Failed);
    let failure = failed.failure.unwrap();
    assert_eq!(failure.code, "underpaid");
    let details = failure.details.unwrap();
    assert_eq!(
        (
            details["expectedAmount"].as_str(),
            details["receivedAmount"].as_str()
        ),
        (Some("25000000"), Some("20000000"))
    );
    assert!(
        fail_underpaid(&f, f.expires_at).is_err(),
        "never detected: it expires instead"
    );
}
