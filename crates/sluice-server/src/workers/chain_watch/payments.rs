//! The watched wallet payments, in memory: every flow whose wallet transaction was broadcast
//! and has no verdict yet, loaded incrementally (like the address book) from the flows last
//! changed since the newest one seen, and dropped once its verdict is recorded.
//!
//! One transaction can pay one flow: where several flows report the same hash, the one that
//! reported it first claims it (earliest `broadcastedAt`, then flow ID), here and in the
//! store's sightings, whose key is the hash.

use std::collections::{HashMap, HashSet};

use sluice_chain::ChainFamily;
use sluice_domain::{EnvironmentId, ExecutionState, Flow, FlowId, SourceType, Timestamp};
use sluice_store::{Store, StoreError};

/// How far back each refresh re-reads flows (far longer than any write transaction).
const OVERLAP_SECS: i64 = 300;

#[derive(Debug, Clone)]
pub struct WatchedPayment {
    pub environment_id: EnvironmentId,
    pub flow_id: FlowId,
    /// The chain's key ([`crate::config::ChainConfig::key`]).
    pub chain_key: String,
    /// As the payer reported it; [`PaymentBook::claims`] puts it in the family's form.
    pub tx_hash: String,
    pub broadcasted_at: Timestamp,
    /// Whether the node was asked where the transaction is (once, when first watched).
    pub located: bool,
    /// Overdue but held unmined by the node (a Bitcoin mempool): not asked again before this.
    pub unmined_until: Option<Timestamp>,
    /// For a family whose transactions lapse (Solana): the settled block height past which
    /// the transaction can no longer land, taken when it was located.
    pub deadline: Option<u64>,
}

#[derive(Default)]
pub struct PaymentBook {
    by_flow: HashMap<FlowId, WatchedPayment>,
    newest: Option<Timestamp>,
}

/// The watched payment a flow is, if it is a broadcast wallet payment without a verdict.
fn watched(flow: &Flow) -> Option<WatchedPayment> {
    let wallet = flow
        .source
        .as_ref()
        .is_some_and(|s| s.source_type == SourceType::Wallet);
    if !wallet || flow.execution_state != ExecutionState::Broadcasted {
        return None;
    }
    Some(WatchedPayment {
        environment_id: flow.environment_id,
        flow_id: flow.id,
        chain_key: crate::config::chain_key(
            flow.to_chain_name.unwrap_or(sluice_domain::ChainName::Evm),
            flow.to_chain_id.as_deref()?,
        ),
        tx_hash: flow.tx_hash.clone()?,
        broadcasted_at: flow.broadcasted_at.unwrap_or(flow.updated_at),
        located: false,
        unmined_until: None,
        deadline: None,
    })
}

impl PaymentBook {
    pub async fn refresh(&mut self, store: &dyn Store, now: Timestamp) -> Result<(), StoreError> {
        let since = self.newest.map_or(Timestamp(i64::MIN), |t| {
            t.plus_seconds(-OVERLAP_SECS).min(now)
        });
        for flow in store.waiting_flows(since).await? {
            self.newest = Some(
                self.newest
                    .map_or(flow.updated_at, |n| n.max(flow.updated_at)),
            );
            match watched(&flow) {
                Some(payment) => {
                    self.by_flow.entry(flow.id).or_insert(payment);
                }
                None => {
                    self.by_flow.remove(&flow.id);
                }
            }
        }
        Ok(())
    }

    /// The payments on the chain with key `chain`.
    pub fn on_chain<'a>(&'a self, chain: &'a str) -> impl Iterator<Item = &'a WatchedPayment> {
        self.by_flow.values().filter(move |p| p.chain_key == chain)
    }

    /// Each hash on the chain with key `chain`, in the family's canonical form, with the flow
    /// claiming it.
    pub fn claims<'a>(
        &'a self,
        chain: &'a str,
        node: &dyn ChainFamily,
    ) -> HashMap<String, &'a WatchedPayment> {
        let mut claims: HashMap<String, &WatchedPayment> = HashMap::new();
        for p in self.on_chain(chain) {
            let claim = claims
                .entry(node.canonical_tx_hash(&p.tx_hash))
                .or_insert(p);
            if (p.broadcasted_at, p.flow_id.to_string())
                < (claim.broadcasted_at, claim.flow_id.to_string())
            {
                *claim = p;
            }
        }
        claims
    }

    pub fn hashes(claims: &HashMap<String, &WatchedPayment>) -> HashSet<String> {
        claims.keys().cloned().collect()
    }

    /// The node holds the payment's transaction unmined: asked again after `until`.
    pub fn mark_unmined(&mut self, flow: FlowId, until: Timestamp) {
        if let Some(p) = self.by_flow.get_mut(&flow) {
            p.unmined_until = Some(until);
        }
    }

    /// The node was asked where the payment is; `deadline` as [`WatchedPayment::deadline`].
    pub fn mark_located(&mut self, flow: FlowId, deadline: Option<u64>) {
        if let Some(p) = self.by_flow.get_mut(&flow) {
            p.located = true;
            p.deadline = deadline;
        }
    }

    /// The flow has its verdict (or is no longer waiting): stop watching it.
    pub fn remove(&mut self, flow: FlowId) {
        self.by_flow.remove(&flow);
    }

    pub fn len(&self) -> usize {
        self.by_flow.len()
    }
}
