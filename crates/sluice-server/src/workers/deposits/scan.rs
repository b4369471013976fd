//! One scan step on one chain: the blocks from the cursor up to the head (at most
//! `max_block_range` of them), all token transfers of the range in one `eth_getLogs`, each
//! block's own transactions for native transfers, recipients matched in memory. What matched
//! and the new cursor are stored in one transaction, then each countable transfer moves its
//! flow to `source_detected`.

use sluice_domain::deposit_transfer::{NATIVE_TOKEN, ObservedTransfer};
use sluice_store::{ScanCursor, SeenTransfer, StoreError};

use super::addresses::AddressBook;
use crate::AppState;
use crate::chains::ChainRuntime;
use crate::lifecycle;

/// Scans what is new on `chain`; returns how many blocks it covered (0: nothing new, or the
/// RPC failed and the step will be retried).
pub async fn scan(
    app: &AppState,
    chain: &ChainRuntime,
    book: &AddressBook,
    head: u64,
) -> Result<usize, StoreError> {
    let store = app.store.as_ref();
    let chain_id = chain.config.chain_id.as_str();
    let now = app.clock.now();
    let cursor = match store.scan_cursor(chain_id).await? {
        Some(cursor) => cursor,
        None => {
            // The first scan starts at the head: transfers before the watcher ever ran are
            // not looked for (documented in DEPOSITS.md).
            let start = ScanCursor {
                next_block: head,
                last_hash: None,
            };
            store.record_scan(chain_id, &[], &start, now).await?;
            tracing::info!(chain.id = chain_id, block = head, "deposit scan starts");
            start
        }
    };
    let from = cursor.next_block;
    if from > head {
        return Ok(0);
    }
    let to = head.min(from + app.config.deposits.max_block_range.max(1) - 1);
    let tokens: Vec<String> = chain
        .config
        .tokens
        .iter()
        .map(|t| t.address.to_ascii_lowercase())
        .collect();
    let logs = match chain.rpc.token_transfers(&tokens, from, to).await {
        Ok(logs) => logs,
        Err(e) => {
            tracing::warn!(chain.id = chain_id, error = %e, "deposit scan: eth_getLogs failed; will retry");
            return Ok(0);
        }
    };
    let mut seen: Vec<SeenTransfer> = logs
        .into_iter()
        .filter_map(|log| {
            let (environment_id, flow_id) = book.flow_of(&log.to)?;
            Some(SeenTransfer {
                environment_id,
                flow_id,
                transfer: ObservedTransfer {
                    chain_id: chain_id.to_owned(),
                    token_address: log.token,
                    tx_hash: log.tx_hash,
                    log_index: Some(log.log_index),
                    amount: log.amount,
                    block_number: log.block_number,
                },
                block_hash: log.block_hash,
            })
        })
        .collect();
    let mut last_hash = cursor.last_hash;
    for number in from..=to {
        let block = match chain.rpc.block_with_transactions(number).await {
            Ok(Some(block)) => block,
            Ok(None) => return Ok(0), // the head moved back: a reorg; scan again next step
            Err(e) => {
                tracing::warn!(chain.id = chain_id, block = number, error = %e, "deposit scan: block lookup failed; will retry");
                return Ok(0);
            }
        };
        if last_hash.as_ref().is_some_and(|h| *h != block.parent_hash) {
            let back_to = number.saturating_sub(chain.config.confirmations.max(1));
            tracing::warn!(
                chain.id = chain_id,
                block = number,
                rescan_from = back_to,
                "deposit scan: reorg detected; scanning again"
            );
            store.rewind_scan(chain_id, back_to).await?;
            return Ok(1);
        }
        for tx in block.transactions {
            let Some((environment_id, flow_id)) = tx.to.as_deref().and_then(|to| book.flow_of(to))
            else {
                continue;
            };
            seen.push(SeenTransfer {
                environment_id,
                flow_id,
                transfer: ObservedTransfer {
                    chain_id: chain_id.to_owned(),
                    token_address: NATIVE_TOKEN.to_owned(),
                    tx_hash: tx.tx_hash,
                    log_index: None,
                    amount: tx.value,
                    block_number: number,
                },
                block_hash: block.hash.clone(),
            });
        }
        last_hash = Some(block.hash);
    }
    let next = ScanCursor {
        next_block: to + 1,
        last_hash,
    };
    store.record_scan(chain_id, &seen, &next, now).await?;
    metrics::counter!("sluice_deposit_blocks_scanned_total", "chain_id" => chain_id.to_owned())
        .increment(to - from + 1);
    for s in seen {
        tracing::info!(flow.id = %s.flow_id, tx.hash = %s.transfer.tx_hash, amount = %s.transfer.amount, "deposit seen");
        // Not countable, or already detected: the flow stays as it is until confirmation.
        let _ =
            lifecycle::deposit_seen(store, s.environment_id, s.flow_id, s.transfer, now).await?;
    }
    Ok(usize::try_from(to - from + 1).unwrap_or(usize::MAX))
}
