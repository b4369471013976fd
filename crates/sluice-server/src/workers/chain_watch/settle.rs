//! Verdicts on wallet payments (spec §9), from what the scan sighted. A sighted transaction
//! whose block has the chain's confirmations and is still canonical is judged against the
//! quote (receipt and transaction read now, once) and its flow settled or failed; a block
//! replaced by a reorg sends the scan back to it. A payment never sighted fails as
//! `tx_not_found` once its window has passed and the scan has caught up with the chain. A
//! node that does not answer never fails a flow: the step is simply retried.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use sluice_chain::family::Sighting;
use sluice_chain::settlement::ExpectedTransfer;
use sluice_domain::flow::Failure;
use sluice_domain::transitions::Rejection;
use sluice_domain::{ExecutionState, Flow, FlowId};
use sluice_store::{PaymentSighting, ScanCursor, StoreError};

use super::payments::{PaymentBook, WatchedPayment};
use crate::AppState;
use crate::chains::ChainRuntime;
use crate::lifecycle::{self, Outcome};

pub(super) fn failure(
    code: &str,
    message: String,
    stage: &str,
    details: serde_json::Value,
) -> Failure {
    Failure {
        code: code.into(),
        message,
        category: "payment".into(),
        stage: stage.into(),
        retryable: false,
        details: Some(details),
    }
}

/// Asks the node once, when a payment is first watched, where its transaction is: one mined
/// into a block the scan passed before the hash was reported is sighted here (unless the
/// family's scan finds every watched payment wherever it is). A lapsing family's deadline is
/// taken here too.
pub async fn locate_new(
    app: &AppState,
    chain: &ChainRuntime,
    book: &mut PaymentBook,
    cursor: &ScanCursor,
) -> Result<usize, StoreError> {
    let key = chain.key.as_str();
    let new: Vec<_> = book.on_chain(key).filter(|p| !p.located).cloned().collect();
    if new.is_empty() {
        return Ok(0);
    }
    // Taken before the lookups, once for all: a transaction not found now was signed before.
    let deadline = match chain.node.landing_deadline().await {
        Ok(deadline) => deadline,
        Err(e) => {
            tracing::warn!(chain.id = key, error = %e, "payment lookup failed; will retry");
            return Ok(0);
        }
    };
    for p in &new {
        if chain.node.scan_finds_every_payment() {
            book.mark_located(p.flow_id, deadline);
            continue;
        }
        let hash = chain.node.canonical_tx_hash(&p.tx_hash);
        match chain.node.locate(&hash).await {
            Ok(Some(found)) if found.block_number < cursor.next_block => {
                record_found(app, key, p, hash, found).await?;
            }
            Ok(_) => {} // not mined yet, or in a block the scan has still to read
            Err(e) => {
                tracing::warn!(chain.id = key, error = %e, "payment lookup failed; will retry");
                return Ok(0);
            }
        }
        book.mark_located(p.flow_id, deadline);
    }
    Ok(new.len())
}

/// What the flow expects its transaction to move (a field missing matches nothing).
fn expected<'a>(flow: &'a Flow, flow_id: &'a str) -> ExpectedTransfer<'a> {
    let min_amount = flow.quote.as_ref().map(|q| q.to_amount.parse());
    let transfer = crate::payments::quoted_transfer(flow);
    ExpectedTransfer {
        flow_id,
        token: transfer.token,
        from: transfer.from,
        to: transfer.to,
        min_amount: min_amount.and_then(Result::ok).unwrap_or(u128::MAX),
    }
}

/// The verdict on one sighted transaction whose block is deep enough and canonical; `None`
/// when the node's answer must be asked for again.
async fn judge(
    app: &AppState,
    chain: &ChainRuntime,
    sighting: &PaymentSighting,
    flow: &Flow,
    head: u64,
) -> Option<Outcome> {
    let flow_id = flow.id.to_string();
    let expected = expected(flow, &flow_id);
    let checked = match chain.node.check_payment(&sighting.tx_hash, &expected).await {
        Ok(Some(checked)) if checked.block_hash == sighting.block_hash => checked,
        Ok(_) => {
            tracing::warn!(flow.id = %flow.id, tx.hash = %sighting.tx_hash, "the node does not show the transaction in its canonical block; will retry");
            return None;
        }
        Err(e) => {
            tracing::warn!(flow.id = %flow.id, error = %e, "receipt lookup failed; will retry");
            return None;
        }
    };
    let now = app.clock.now();
    let (store, env, id) = (app.store.as_ref(), flow.environment_id, flow.id);
    let confirmations = head.saturating_sub(checked.block_number) + 1;
    Some(match checked.verdict {
        Ok(_) => lifecycle::settle(store, env, id, confirmations, now).await,
        Err(mismatch) => {
            let quote = flow.quote.as_ref().map(|q| q.to_amount.clone());
            let failure = failure(
                mismatch.code(),
                mismatch.message(),
                "source_verification",
                json!({ "txHash": sighting.tx_hash, "expectedAmount": quote, "expectedToken": flow.to_token, "expectedRecipient": flow.to_address }),
            );
            tracing::warn!(flow.id = %id, failure.code = %failure.code, "flow failed: {}", failure.message);
            lifecycle::fail(store, env, id, failure, now).await
        }
    })
}

fn count(outcome: &Result<Flow, Rejection>) -> usize {
    let Ok(flow) = outcome else { return 0 };
    metrics::counter!("sluice_settlement_verdicts_total", "state" => flow.execution_state.as_str())
        .increment(1);
    tracing::info!(flow.id = %flow.id, flow.state = %flow.execution_state, "settlement verdict recorded");
    1
}

/// Judges every sighted payment that has the chain's confirmations; returns the verdicts.
pub async fn settle_confirmed(
    app: &AppState,
    chain: &ChainRuntime,
    book: &mut PaymentBook,
    sightings: &[PaymentSighting],
    head: u64,
) -> Result<usize, StoreError> {
    let store = app.store.as_ref();
    let key = chain.key.as_str();
    let Some(deepest) = (head + 1).checked_sub(chain.config.confirmations()) else {
        return Ok(0);
    };
    let mut canonical: HashMap<u64, String> = HashMap::new();
    let mut verdicts = 0;
    for s in sightings.iter().filter(|s| s.block_number <= deepest) {
        let hash = match canonical.get(&s.block_number) {
            Some(hash) => hash.clone(),
            None => match chain.node.block_hash(s.block_number).await {
                Ok(Some(hash)) => canonical.entry(s.block_number).or_insert(hash).clone(),
                Ok(None) | Err(_) => return Ok(verdicts), // the node is behind or away: retry
            },
        };
        if !hash.eq_ignore_ascii_case(&s.block_hash) {
            tracing::warn!(chain.id = key, block = s.block_number, tx.hash = %s.tx_hash, "payment's block was reorged away; scanning again from it");
            store.rewind_scan(key, s.block_number).await?;
            return Ok(verdicts + 1);
        }
        let flow = store.flow(s.environment_id, s.flow_id).await?;
        let Some(flow) = flow.filter(|f| f.execution_state == ExecutionState::Broadcasted) else {
            store.close_sighting(key, &s.tx_hash).await?; // decided already
            book.remove(s.flow_id);
            continue;
        };
        let Some(outcome) = judge(app, chain, s, &flow, head).await else {
            continue;
        };
        verdicts += count(&outcome?);
        store.close_sighting(key, &s.tx_hash).await?;
        book.remove(s.flow_id);
    }
    Ok(verdicts)
}

/// How long an overdue payment the node holds unmined waits before it is asked about again.
const UNMINED_RECHECK_SECS: i64 = 60;

/// Payments never sighted whose window has passed fail as `tx_not_found`, unless the node
/// still holds their transaction unmined (a Bitcoin mempool: a block may take an hour).
/// Payments of a family whose transactions lapse are left to `lapse`. Only called when the
/// scan has read every block up to the head.
pub async fn fail_not_found(
    app: &AppState,
    chain: &ChainRuntime,
    book: &mut PaymentBook,
    sighted: &HashSet<FlowId>,
) -> Result<usize, StoreError> {
    let now = app.clock.now();
    let window = app.config.tracker.not_found_after_secs;
    let key = chain.key.as_str();
    let overdue: Vec<_> = book
        .on_chain(key)
        .filter(|p| p.located && p.deadline.is_none() && !sighted.contains(&p.flow_id))
        .filter(|p| now >= p.broadcasted_at.plus_seconds(window))
        .filter(|p| p.unmined_until.is_none_or(|t| now >= t))
        .cloned()
        .collect();
    let mut verdicts = 0;
    for p in overdue {
        match chain
            .node
            .is_unmined(&chain.node.canonical_tx_hash(&p.tx_hash))
            .await
        {
            Ok(false) => {}
            Ok(true) => {
                book.mark_unmined(p.flow_id, now.plus_seconds(UNMINED_RECHECK_SECS));
                continue;
            }
            Err(e) => {
                tracing::warn!(chain.id = key, error = %e, "payment lookup failed; will retry");
                return Ok(verdicts);
            }
        }
        let message = format!(
            "Transaction {} was not found on chain {} in time.",
            p.tx_hash, chain.config.chain_id
        );
        let failure = failure(
            "tx_not_found",
            message,
            "broadcast",
            json!({ "txHash": p.tx_hash }),
        );
        verdicts += fail_unlanded(app, book, &p, failure).await?;
    }
    Ok(verdicts)
}

/// Records where a watched payment's transaction was found, for [`settle_confirmed`].
pub(super) async fn record_found(
    app: &AppState,
    key: &str,
    p: &WatchedPayment,
    tx_hash: String,
    found: Sighting,
) -> Result<(), StoreError> {
    let sighting = PaymentSighting {
        environment_id: p.environment_id,
        flow_id: p.flow_id,
        tx_hash,
        block_number: found.block_number,
        block_hash: found.block_hash,
    };
    app.store
        .record_sighting(key, &sighting, app.clock.now())
        .await
}

/// Fails a payment whose transaction never landed (`failure` says why) and stops watching
/// it; the verdicts recorded (0 when the flow had moved on).
pub(super) async fn fail_unlanded(
    app: &AppState,
    book: &mut PaymentBook,
    p: &WatchedPayment,
    failure: Failure,
) -> Result<usize, StoreError> {
    let (store, now, code) = (app.store.as_ref(), app.clock.now(), failure.code.clone());
    let outcome = lifecycle::fail(store, p.environment_id, p.flow_id, failure, now).await?;
    if outcome.is_ok() {
        tracing::warn!(flow.id = %p.flow_id, failure.code = %code, "flow failed: its transaction never landed");
    }
    book.remove(p.flow_id);
    Ok(count(&outcome))
}
