//! One scan step on one chain: the blocks from the cursor up to the head (at most
//! `max_block_range` of them), read once through the family adapter for both deposit
//! arrivals and watched payment transactions. What matched and the new cursor are stored in
//! one transaction, then each countable deposit moves its flow to `source_detected`.

use std::collections::HashMap;

use sluice_chain::family::{ScannedRange, Watch};
use sluice_domain::deposit_transfer::ObservedTransfer;
use sluice_store::{PaymentSighting, ScanCursor, SeenTransfer, StoreError};

use super::addresses::AddressBook;
use super::payments::{PaymentBook, WatchedPayment};
use crate::AppState;
use crate::chains::ChainRuntime;
use crate::lifecycle;

/// What the chain watch matches blocks against on one chain.
pub struct Watched<'a> {
    pub addresses: &'a AddressBook,
    pub payments: &'a HashMap<String, &'a WatchedPayment>,
}

/// The deposit transfers of a scanned range that are to a flow's address.
fn deposits(chain_id: &str, found: &ScannedRange, book: &AddressBook) -> Vec<SeenTransfer> {
    found
        .arrivals
        .iter()
        .filter_map(|a| {
            let (environment_id, flow_id) = book.flow_of(&a.to)?;
            Some(SeenTransfer {
                environment_id,
                flow_id,
                transfer: ObservedTransfer {
                    chain_id: chain_id.to_owned(),
                    token_address: a.token.clone(),
                    tx_hash: a.tx_hash.clone(),
                    log_index: a.log_index,
                    amount: a.amount,
                    block_number: a.block_number,
                },
                block_hash: a.block_hash.clone(),
            })
        })
        .collect()
}

fn sightings(found: &ScannedRange, watched: &Watched<'_>) -> Vec<PaymentSighting> {
    found
        .payments
        .iter()
        .filter_map(|s| {
            let p = watched.payments.get(&s.tx_hash)?;
            Some(PaymentSighting {
                environment_id: p.environment_id,
                flow_id: p.flow_id,
                tx_hash: s.tx_hash.clone(),
                block_number: s.block_number,
                block_hash: s.block_hash.clone(),
            })
        })
        .collect()
}

/// The first block whose parent is not the block before it: a reorg the scan ran into.
fn broken_link(cursor: &ScanCursor, found: &ScannedRange) -> Option<u64> {
    let mut last = cursor.last_hash.clone();
    for block in &found.blocks {
        if last.as_ref().is_some_and(|h| *h != block.parent_hash) {
            return Some(block.number);
        }
        last = Some(block.hash.clone());
    }
    None
}

/// Scans what is new on `chain` from `cursor`; returns how many blocks it covered (0: nothing
/// new, or the node failed and the step will be retried).
pub async fn scan(
    app: &AppState,
    chain: &ChainRuntime,
    watched: &Watched<'_>,
    cursor: ScanCursor,
    head: u64,
) -> Result<usize, StoreError> {
    let store = app.store.as_ref();
    let key = chain.key.as_str();
    let now = app.clock.now();
    let from = cursor.next_block;
    if from > head {
        return Ok(0);
    }
    let to = head.min(from + app.config.deposits.max_block_range.max(1) - 1);
    let tokens = chain.watched_tokens();
    let is_deposit_address = |address: &str| watched.addresses.flow_of(address).is_some();
    let hashes = PaymentBook::hashes(watched.payments);
    let watch = Watch {
        tokens: &tokens,
        addresses: &is_deposit_address,
        payments: &hashes,
    };
    let found = match chain.node.scan(from, to, &watch).await {
        Ok(Some(found)) => found,
        Ok(None) => return Ok(0), // the head moved back: a reorg; scan again next step
        Err(e) => {
            tracing::warn!(chain.id = key, error = %e, "chain scan failed; will retry");
            return Ok(0);
        }
    };
    if let Some(number) = broken_link(&cursor, &found) {
        let back_to = number.saturating_sub(chain.config.confirmations());
        tracing::warn!(
            chain.id = key,
            block = number,
            rescan_from = back_to,
            "chain scan: reorg detected; scanning again"
        );
        store.rewind_scan(key, back_to).await?;
        return Ok(1);
    }
    let seen = deposits(&chain.config.chain_id, &found, watched.addresses);
    let sighted = sightings(&found, watched);
    let next = ScanCursor {
        next_block: to + 1,
        last_hash: found.blocks.last().map(|b| b.hash.clone()),
    };
    store.record_scan(key, &seen, &sighted, &next, now).await?;
    metrics::counter!("sluice_deposit_blocks_scanned_total", "key" => key.to_owned())
        .increment(to - from + 1);
    for s in sighted {
        tracing::info!(flow.id = %s.flow_id, tx.hash = %s.tx_hash, block = s.block_number, "payment transaction seen");
    }
    for s in seen {
        tracing::info!(flow.id = %s.flow_id, tx.hash = %s.transfer.tx_hash, amount = %s.transfer.amount, "deposit seen");
        // Not countable, or already detected: the flow stays as it is until confirmation.
        let _ =
            lifecycle::deposit_seen(store, s.environment_id, s.flow_id, s.transfer, now).await?;
    }
    Ok(usize::try_from(to - from + 1).unwrap_or(usize::MAX))
}
