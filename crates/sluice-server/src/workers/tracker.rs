//! The settlement tracker: for every flow whose wallet transaction was broadcast, read the
//! receipt from the chain's JSON-RPC; once the transaction has the chain's confirmations and
//! its block is still canonical, verify the transfer against the quote (spec §9) and settle or
//! fail the flow through the lifecycle. An RPC outage never fails a flow: the flow is simply
//! looked at again on the next pass. Safe with several instances: every verdict is a guarded
//! transition, so a flow another instance already settled is skipped.

use serde_json::json;
use sluice_chain::verify::{ExpectedTransfer, verify};
use sluice_domain::flow::Failure;
use sluice_domain::{Flow, SourceType};

use super::Step;
use crate::AppState;
use crate::lifecycle;
use crate::quoting::NATIVE_TOKEN;

const BATCH: u32 = 100;

/// What one look at a flow concluded.
enum Verdict {
    Pending,
    Settle(u64),
    Fail(Failure),
}

pub struct SettlementTracker {
    app: AppState,
}

fn failure(code: &str, message: String, stage: &str, details: serde_json::Value) -> Failure {
    Failure {
        code: code.into(),
        message,
        category: "payment".into(),
        stage: stage.into(),
        retryable: false,
        details: Some(details),
    }
}

impl SettlementTracker {
    pub fn new(app: AppState) -> Self {
        Self { app }
    }

    pub async fn run_once(&self) -> Result<Step, sluice_store::StoreError> {
        crate::metrics::worker_stepped("settlement_tracker");
        let flows = self.app.store.watched_flows(BATCH).await?;
        let mut decided = 0;
        for flow in flows {
            let verdict = self.look_at(&flow).await;
            let now = self.app.clock.now();
            let (env, id, store) = (flow.environment_id, flow.id, self.app.store.as_ref());
            let outcome = match verdict {
                Verdict::Pending => continue,
                Verdict::Settle(confirmations) => {
                    lifecycle::settle(store, env, id, confirmations, now).await?
                }
                Verdict::Fail(failure) => {
                    tracing::warn!(flow.id = %id, failure.code = %failure.code, "flow failed: {}", failure.message);
                    lifecycle::fail(store, env, id, failure, now).await?
                }
            };
            if let Ok(flow) = outcome {
                decided += 1;
                metrics::counter!("sluice_settlement_verdicts_total", "state" => flow.execution_state.as_str()).increment(1);
                tracing::info!(flow.id = %flow.id, flow.state = %flow.execution_state, "settlement verdict recorded");
            }
        }
        Ok(if decided == 0 {
            Step::Idle
        } else {
            Step::Worked(decided)
        })
    }

    async fn look_at(&self, flow: &Flow) -> Verdict {
        let wallet = flow
            .source
            .as_ref()
            .filter(|s| s.source_type == SourceType::Wallet);
        let (Some(source), Some(hash), Some(quote)) =
            (wallet, flow.tx_hash.as_deref(), flow.quote.as_ref())
        else {
            return Verdict::Pending; // exchange and deposit-address arrivals are the deposit watcher's
        };
        let Some(chain) = self
            .app
            .chains
            .evm(flow.to_chain_id.as_deref().unwrap_or_default())
        else {
            tracing::warn!(flow.id = %flow.id, "no RPC configured for the flow's chain; cannot track it");
            return Verdict::Pending;
        };
        if chain.ensure_proven(self.app.clock.now()).await.is_err() {
            return Verdict::Pending; // never a verdict against a node not proven to be this chain
        }
        let rpc = &chain.rpc;
        let now = self.app.clock.now();
        let receipt = match rpc.receipt(hash).await {
            Ok(Some(receipt)) => receipt,
            Ok(None) => {
                let deadline = flow
                    .broadcasted_at
                    .unwrap_or(now)
                    .plus_seconds(self.app.config.tracker.not_found_after_secs);
                if now < deadline {
                    return Verdict::Pending;
                }
                let message = format!(
                    "Transaction {hash} was not found on chain {} in time.",
                    chain.config.chain_id
                );
                return Verdict::Fail(failure(
                    "tx_not_found",
                    message,
                    "broadcast",
                    json!({ "txHash": hash }),
                ));
            }
            Err(e) => {
                tracing::warn!(flow.id = %flow.id, error = %e, "receipt lookup failed; will retry");
                return Verdict::Pending;
            }
        };
        let Ok(head) = rpc.block_number().await else {
            return Verdict::Pending;
        };
        let confirmations = head.saturating_sub(receipt.block_number) + 1;
        if confirmations < chain.config.confirmations {
            return Verdict::Pending;
        }
        // Reorg guard: the receipt's block must still be the canonical block at its height.
        match rpc.block_hash(receipt.block_number).await {
            Ok(Some(canonical)) if canonical.eq_ignore_ascii_case(&receipt.block_hash) => {}
            _ => return Verdict::Pending,
        }
        let Ok(Some(tx)) = rpc.transaction(hash).await else {
            return Verdict::Pending;
        };
        let token = flow
            .to_token
            .as_deref()
            .filter(|t| !t.eq_ignore_ascii_case(NATIVE_TOKEN));
        let min_amount = quote.to_amount.parse().unwrap_or(u128::MAX);
        let expected = ExpectedTransfer {
            token,
            from: source.from_address.as_deref().unwrap_or_default(),
            to: flow.to_address.as_deref().unwrap_or_default(),
            min_amount,
        };
        match verify(&expected, &receipt, &tx) {
            Ok(_) => Verdict::Settle(confirmations),
            Err(mismatch) => Verdict::Fail(failure(
                mismatch.code(),
                mismatch.message(),
                "source_verification",
                json!({ "txHash": hash, "expectedAmount": quote.to_amount, "expectedToken": flow.to_token, "expectedRecipient": flow.to_address }),
            )),
        }
    }
}

impl super::Worker for SettlementTracker {
    const NAME: &'static str = "settlement_tracker";

    async fn run_once(&self) -> Result<Step, sluice_store::StoreError> {
        SettlementTracker::run_once(self).await
    }
}
