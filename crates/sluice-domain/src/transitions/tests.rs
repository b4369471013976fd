//! Property tests of the transition table: whatever the stored state and whatever token is
//! presented, the rules of spec §3 and §4 hold.

use proptest::prelude::*;

use super::*;
use crate::attach::AttachRequest;
use crate::flow::Source;
use crate::ids::{EnvironmentId, FlowId};
use crate::state::FlowMode;

pub(super) fn flow(
    execution: ExecutionState,
    settlement: SettlementState,
    token: Option<TokenHash>,
) -> Flow {
    Flow {
        id: FlowId::new_random(),
        mode: FlowMode::Payment,
        amount: "1".into(),
        currency: "USD".into(),
        memo: None,
        user_id: None,
        execution_state: execution,
        settlement_state: settlement,
        risk_state: RiskState::Unknown,
        source: None,
        deposit_address: None,
        exchange_source: None,
        deposits: Vec::new(),
        quote_version: 0,
        from_token: None,
        to_address: None,
        to_chain_id: None,
        to_chain_name: None,
        to_token: None,
        quote: None,
        tx_hash: None,
        settlement_tx_hash: None,
        broadcasted_at: None,
        source_confirmed_at: None,
        confirmations: None,
        settlement: None,
        completed_at: None,
        failure: None,
        expires_at: Timestamp(10_000),
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
        deposit_config: None,
        peg_stablecoins: false,
        disable_swaps: false,
        ui_config: None,
        settlement_config: None,
        destination_config: None,
        environment_id: EnvironmentId::new_random(),
        session_token_hash: token,
        revision: 0,
    }
}

fn request(source_type: SourceType) -> AttachRequest {
    AttachRequest {
        source: Source {
            source_type,
            from_address: Some("0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045".into()),
            from_chain_id: Some("1".into()),
            from_chain_name: Some(crate::ChainName::Evm),
            refund_address: None,
        },
        exchange_provider: None,
    }
}

fn execution_state() -> impl Strategy<Value = ExecutionState> {
    proptest::sample::select(ExecutionState::ALL.to_vec())
}

fn settlement_state() -> impl Strategy<Value = SettlementState> {
    proptest::sample::select(SettlementState::ALL.to_vec())
}

const LIVE: TokenHash = TokenHash([7; 32]);
const OTHER: TokenHash = TokenHash([9; 32]);
const NEW: TokenHash = TokenHash([1; 32]);

proptest! {
    #[test]
    fn attach_follows_the_table(
        execution in execution_state(),
        settlement in settlement_state(),
        presented in proptest::option::of(prop_oneof![Just(LIVE), Just(OTHER)]),
        now in 0i64..20_000,
        blocked in any::<bool>(),
    ) {
        let current = flow(execution, settlement, Some(LIVE));
        let req = request(SourceType::Wallet);
        let input = AttachInput { request: &req, presented_token: presented, screening_hit: blocked, new_token: NEW };
        let result = attach(&current, &input, Timestamp(now));
        let overdue = execution.expires() && now >= 10_000;
        let allowed_state = execution.accepts_attach() && !overdue;
        let token_ok = execution != ExecutionState::Signing
            || (presented == Some(LIVE) && !settlement.is_final());
        match result {
            Ok(t) => {
                prop_assert!(allowed_state && token_ok && !blocked);
                prop_assert_eq!(t.flow.execution_state, ExecutionState::SourceAttached);
                prop_assert_eq!(t.flow.session_token_hash, Some(NEW));
                prop_assert_eq!(t.flow.risk_state, RiskState::Cleared);
                prop_assert!(t.events.iter().all(|e| e.flow_id == current.id));
            }
            Err(Rejection::InvalidTransition { execution: shown, .. }) => {
                prop_assert!(!allowed_state);
                prop_assert_eq!(shown, if overdue { ExecutionState::Expired } else { execution });
            }
            Err(Rejection::InvalidSessionToken) => prop_assert!(allowed_state && !token_ok),
            Err(Rejection::SourceBlocked) => prop_assert!(allowed_state && token_ok && blocked),
            Err(other) => prop_assert!(false, "attach never answers {:?}", other),
        }
    }

    #[test]
    fn payer_cancel_needs_the_live_token_and_kills_it(
        execution in execution_state(),
        settlement in settlement_state(),
        presented in prop_oneof![Just(LIVE), Just(OTHER)],
        now in 0i64..20_000,
    ) {
        let current = flow(execution, settlement, Some(LIVE));
        let live = presented == LIVE && now < 10_000 && !execution.is_final() && !settlement.is_final();
        match payer_cancel(Some(&current), &presented, Timestamp(now)) {
            Ok(t) => {
                prop_assert!(live && execution.accepts_payer_cancel());
                prop_assert_eq!(t.flow.execution_state, ExecutionState::Cancelled);
                prop_assert_eq!(t.flow.session_token_hash, None);
                prop_assert_eq!(t.events.len(), 1);
            }
            Err(Rejection::InvalidSessionToken) => prop_assert!(!live),
            Err(Rejection::InvalidTransition { .. }) => prop_assert!(live && !execution.accepts_payer_cancel()),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn final_states_never_change(execution in execution_state(), now in 0i64..20_000) {
        prop_assume!(execution.is_final());
        let current = flow(execution, SettlementState::None, None);
        prop_assert!(server_cancel(&current, Timestamp(now)).is_err());
        prop_assert!(expire(&current, Timestamp(now)).is_err());
        prop_assert!(payer_cancel(Some(&current), &LIVE, Timestamp(now)).is_err());
    }

    #[test]
    fn expiry_only_for_overdue_pre_broadcast_flows(execution in execution_state(), now in 0i64..20_000) {
        let current = flow(execution, SettlementState::None, Some(LIVE));
        match expire(&current, Timestamp(now)) {
            Ok(t) => {
                prop_assert!(execution.expires() && now >= 10_000);
                prop_assert_eq!(t.flow.execution_state, ExecutionState::Expired);
                prop_assert_eq!(t.flow.session_token_hash, None);
            }
            Err(_) => prop_assert!(!(execution.expires() && now >= 10_000)),
        }
    }
}

#[test]
fn withdraw_flows_refuse_attach() {
    let mut current = flow(ExecutionState::Initiated, SettlementState::None, None);
    current.mode = FlowMode::Withdraw;
    let req = request(SourceType::Wallet);
    let input = AttachInput {
        request: &req,
        presented_token: None,
        screening_hit: false,
        new_token: NEW,
    };
    assert!(matches!(
        attach(&current, &input, Timestamp(0)),
        Err(Rejection::InvalidTransition { .. })
    ));
}

#[test]
fn unknown_flow_is_an_invalid_token_on_token_routes() {
    assert_eq!(
        payer_cancel(None, &LIVE, Timestamp(0)).unwrap_err(),
        Rejection::InvalidSessionToken
    );
}

#[test]
fn exchange_and_deposit_sources_leave_risk_unknown() {
    let mut current = flow(
        ExecutionState::SourceAttached,
        SettlementState::None,
        Some(LIVE),
    );
    current.risk_state = RiskState::Cleared;
    for source_type in [SourceType::Exchange, SourceType::DepositAddress] {
        let req = request(source_type);
        let input = AttachInput {
            request: &req,
            presented_token: None,
            screening_hit: false,
            new_token: NEW,
        };
        let t = attach(&current, &input, Timestamp(1)).unwrap();
        assert_eq!(t.flow.risk_state, RiskState::Unknown);
        assert!(t.events.iter().any(|e| e.event_type == "flow.risk.updated"));
    }
}

#[test]
fn wire_form_round_trips_and_omits_empty_optionals() {
    let mut f = flow(ExecutionState::Initiated, SettlementState::None, Some(LIVE));
    let json = serde_json::to_value(&f).unwrap();
    assert!(json.get("memo").is_none() && json.get("sourceType").is_none());
    assert!(json["settlementTxHash"].is_null() && json["settlementConfig"].is_null());
    assert_eq!(json["expiresAt"], "1970-01-01T00:00:10.000Z");
    f.source = Some(request(SourceType::Wallet).source);
    f.memo = Some(crate::memo::Memo::from_value(
        &serde_json::json!({"order": 1}),
    ));
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["sourceType"], "wallet");
    let mut back: Flow = serde_json::from_value(json).unwrap();
    back.environment_id = f.environment_id;
    back.session_token_hash = f.session_token_hash;
    assert_eq!(back, f);
    let payer = serde_json::to_value(f.payer_view()).unwrap();
    assert!(payer.get("memo").is_none());
}

fn plan() -> QuotePlan {
    QuotePlan {
        quote: crate::flow::FlowQuote {
            version: 0,
            from_amount: "1".into(),
            to_amount: "1".into(),
            fees: None,
            estimated_time_sec: None,
            signing_payload: None,
            created_at: Timestamp(0),
            expires_at: Timestamp(60_000),
            from_token_info: None,
            to_token_info: None,
        },
        from_chain_id: "1".into(),
        from_token: "t".into(),
        to_address: "d".into(),
        to_chain_id: "1".into(),
        to_chain_name: crate::ChainName::Evm,
        to_token: "t".into(),
        exchange_url: None,
    }
}

proptest! {
    #[test]
    fn quote_versions_only_grow(execution in execution_state(), versions in 0u64..5) {
        let mut current = flow(execution, SettlementState::None, Some(LIVE));
        current.source = Some(request(SourceType::Wallet).source);
        current.quote_version = versions;
        match quote(Some(&current), &LIVE, &plan(), Timestamp(1)) {
            Ok(t) => {
                prop_assert!(matches!(execution, ExecutionState::SourceAttached | ExecutionState::Quoted | ExecutionState::Signing));
                prop_assert_eq!(t.flow.quote_version, versions + 1);
                prop_assert_eq!(t.flow.quote.unwrap().version, versions + 1);
                prop_assert_eq!(t.flow.execution_state, ExecutionState::Quoted);
            }
            Err(_) => prop_assert!(!matches!(execution, ExecutionState::SourceAttached | ExecutionState::Quoted | ExecutionState::Signing) || execution.is_final()),
        }
    }

    #[test]
    fn broadcast_follows_the_table(execution in execution_state(), source in prop::sample::select(vec![SourceType::Wallet, SourceType::Exchange, SourceType::DepositAddress]), same in any::<bool>()) {
        let mut current = flow(execution, SettlementState::None, Some(LIVE));
        current.source = Some(request(source).source);
        current.tx_hash = Some("0xaa".into());
        let hash = if same { "0xaa" } else { "0xbb" };
        match broadcast(Some(&current), &LIVE, Some(hash), Timestamp(1)) {
            Ok(t) if execution == ExecutionState::Broadcasted => {
                prop_assert!(same);
                prop_assert!(t.events.is_empty(), "a repeated hash emits nothing");
            }
            Ok(t) => {
                prop_assert!(matches!((execution, source), (ExecutionState::Signing, SourceType::Wallet) | (ExecutionState::Quoted, SourceType::Exchange)));
                prop_assert_eq!(t.flow.execution_state, ExecutionState::Broadcasted);
                prop_assert_eq!(t.flow.broadcasted_at, Some(Timestamp(1)));
            }
            Err(_) => prop_assert!(source == SourceType::DepositAddress || !(execution == ExecutionState::Broadcasted && same)),
        }
    }

    #[test]
    fn verdicts_only_for_watched_flows(execution in execution_state()) {
        let mut current = flow(execution, SettlementState::None, Some(LIVE));
        current.tx_hash = Some("0xaa".into());
        let watched = matches!(execution, ExecutionState::Broadcasted | ExecutionState::SourceDetected);
        match settle(&current, 2, Timestamp(5)) {
            Ok(t) => {
                prop_assert!(watched);
                prop_assert_eq!(t.flow.execution_state, ExecutionState::SourceConfirmed);
                prop_assert_eq!(t.flow.settlement_state, SettlementState::Completed);
                prop_assert_eq!(t.flow.settlement_tx_hash.as_deref(), Some("0xaa"));
                prop_assert_eq!(t.flow.session_token_hash, None);
                prop_assert_eq!(t.events.len(), 2, "one event per changed axis");
            }
            Err(_) => prop_assert!(!watched),
        }
        let failure = crate::flow::Failure { code: "x".into(), message: "m".into(), category: "payment".into(), stage: "s".into(), retryable: false, details: None };
        prop_assert_eq!(fail(&current, failure, Timestamp(5)).is_ok(), watched);
    }
}
