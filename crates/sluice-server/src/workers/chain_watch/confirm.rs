//! Counting confirmed deposits and failing short ones. A seen transfer whose block has the
//! chain's confirmations is re-checked against the canonical block hash at its height: still
//! there, it is recorded on its flow (counted or not, announced); replaced by a reorg, the
//! scan goes back to that block and finds whatever the canonical chain holds now.

use std::collections::HashMap;

use sluice_domain::transitions::{Rejection, is_underpaid};
use sluice_store::StoreError;

use crate::AppState;
use crate::chains::ChainRuntime;
use crate::lifecycle;

/// How many expired deposit flows one step looks at for underpayment.
const BATCH: u32 = 100;

pub async fn confirm(app: &AppState, chain: &ChainRuntime, head: u64) -> Result<usize, StoreError> {
    let store = app.store.as_ref();
    let key = chain.key.as_str();
    let Some(deepest) = (head + 1).checked_sub(chain.config.confirmations()) else {
        return Ok(0);
    };
    let mut canonical: HashMap<u64, String> = HashMap::new();
    let mut done = 0;
    for mut seen in store.pending_transfers(key, deepest).await? {
        // Stored under the chain's key; recorded on the flow under its chain ID.
        seen.transfer.chain_id.clone_from(&chain.config.chain_id);
        let number = seen.transfer.block_number;
        let hash = match canonical.get(&number) {
            Some(hash) => hash.clone(),
            None => match chain.node.block_hash(number).await {
                Ok(Some(hash)) => canonical.entry(number).or_insert(hash).clone(),
                Ok(None) | Err(_) => return Ok(done), // the node is behind or away: retry
            },
        };
        if !hash.eq_ignore_ascii_case(&seen.block_hash) {
            tracing::warn!(chain.id = key, block = number, tx.hash = %seen.transfer.tx_hash, "deposit's block was reorged away; scanning again from it");
            store.rewind_scan(key, number).await?;
            return Ok(done + 1);
        }
        let now = app.clock.now();
        let (env, id) = (seen.environment_id, seen.flow_id);
        match lifecycle::record_deposit(store, env, id, seen.transfer.clone(), now).await? {
            Ok(flow) => {
                let counted = flow.deposits.last().is_some_and(|d| d.counted);
                metrics::counter!("sluice_deposits_recorded_total", "counted" => counted.to_string()).increment(1);
                tracing::info!(flow.id = %id, flow.state = %flow.execution_state, counted, "deposit recorded");
            }
            Err(Rejection::AlreadyRecorded) => {}
            Err(other) => {
                tracing::error!(flow.id = %id, rejection = ?other, "deposit could not be recorded")
            }
        }
        store.mark_transfer_recorded(key, &seen).await?;
        done += 1;
    }
    Ok(done)
}

/// Deposit-paid flows still short at `expiresAt`, with nothing seen and unconfirmed, fail as
/// `underpaid`. A transfer that is still confirming gets its chance first. The store hands
/// out expired deposit flows only, so pending wallet payments never take their places.
pub async fn fail_underpaid(app: &AppState) -> Result<usize, StoreError> {
    let store = app.store.as_ref();
    let now = app.clock.now();
    let mut failed = 0;
    for flow in store.expired_deposit_flows(now, BATCH).await? {
        if !is_underpaid(&flow, now) || store.has_pending_transfers(flow.id).await? {
            continue;
        }
        let outcome = lifecycle::fail_underpaid(store, flow.environment_id, flow.id, now).await?;
        if outcome.is_ok() {
            tracing::warn!(flow.id = %flow.id, "deposit flow failed: underpaid at expiry");
            failed += 1;
        }
    }
    Ok(failed)
}
