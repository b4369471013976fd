//! Payments whose transaction can no longer land (Solana, spec §10.3): a transaction carries a
//! recent blockhash that validators accept for 150 blocks, so once the settled block height
//! has passed the payment's deadline ([`ChainFamily::landing_deadline`], taken when the
//! payment was first watched, after the payer signed) and the signature never landed, it
//! never will. Such a flow fails as `blockhash_expired`, decided by the chain, not by a
//! timer: a node that is down or behind only delays the verdict.
//!
//! [`ChainFamily::landing_deadline`]: sluice_chain::ChainFamily::landing_deadline

use std::collections::HashSet;

use serde_json::json;
use sluice_domain::FlowId;
use sluice_store::StoreError;

use super::payments::PaymentBook;
use super::settle::{fail_unlanded, failure, record_found};
use crate::AppState;
use crate::chains::ChainRuntime;

/// Fails the payments on `chain` whose deadline the settled height has passed and whose
/// transaction has not landed; returns the verdicts (a late landing is sighted instead).
/// Only called when the scan has caught up with the head.
pub async fn fail_lapsed(
    app: &AppState,
    chain: &ChainRuntime,
    book: &mut PaymentBook,
    sighted: &HashSet<FlowId>,
) -> Result<usize, StoreError> {
    let key = chain.key.as_str();
    let lapsing: Vec<_> = book
        .on_chain(key)
        .filter(|p| p.deadline.is_some() && !sighted.contains(&p.flow_id))
        .cloned()
        .collect();
    if lapsing.is_empty() {
        return Ok(0);
    }
    let height = match chain.node.settled_height().await {
        Ok(height) => height,
        Err(e) => {
            tracing::warn!(chain.id = key, error = %e, "no block height; will retry");
            return Ok(0);
        }
    };
    let mut verdicts = 0;
    for p in lapsing
        .iter()
        .filter(|p| p.deadline.is_some_and(|d| height > d))
    {
        let hash = chain.node.canonical_tx_hash(&p.tx_hash);
        // It may have landed, and settled, since this step's scan: then it is judged instead.
        match chain.node.locate(&hash).await {
            Ok(Some(found)) => {
                record_found(app, key, p, hash, found).await?;
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(chain.id = key, error = %e, "payment lookup failed; will retry");
                return Ok(verdicts);
            }
        }
        let deadline = p.deadline.unwrap_or_default();
        let message = format!(
            "Transaction {} did not land before block height {deadline} on chain {}; its blockhash has expired, so it never can.",
            p.tx_hash, chain.config.chain_id
        );
        let details =
            json!({ "txHash": p.tx_hash, "lastValidBlockHeight": deadline, "blockHeight": height });
        let failure = failure("blockhash_expired", message, "broadcast", details);
        verdicts += fail_unlanded(app, book, p, failure).await?;
    }
    Ok(verdicts)
}
