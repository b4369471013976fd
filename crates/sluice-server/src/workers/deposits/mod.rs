//! The deposit watcher (spec §9): finds transfers to flows' deposit addresses by scanning
//! each new block once for all of them, and settles or fails those flows by the amount rules.
//!
//! One instance scans at a time: the holder of the `deposit_watcher` lease, renewed every
//! step, so a crashed holder is replaced within `lease_secs`. Its durable state (cursor per
//! chain, transfers seen but not yet confirmed) lives in the store, and every change to a
//! flow is a guarded transition, so a step cut short anywhere is simply done again.
//!
//! The RPC calls per block do not depend on the number of open flows: one `eth_getLogs` per
//! block range for all configured tokens, one `eth_getBlockByNumber` per block for native
//! transfers, and recipients are matched against an in-memory set of addresses.

mod addresses;
mod confirm;
mod scan;

use serde::Deserialize;
use sluice_store::StoreError;

use super::Step;
use crate::AppState;
use addresses::AddressBook;

const LEASE: &str = "deposit_watcher";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DepositWatchConfig {
    /// Pause between steps once the scan has caught up with the chain.
    pub interval_secs: u64,
    /// The most blocks one `eth_getLogs` covers (public RPCs often cap it).
    pub max_block_range: u64,
    /// How long the scanning instance holds its lease; a crashed holder is replaced after it.
    pub lease_secs: i64,
}

impl Default for DepositWatchConfig {
    fn default() -> Self {
        Self {
            interval_secs: 2,
            max_block_range: 100,
            lease_secs: 15,
        }
    }
}

pub struct DepositWatcher {
    app: AppState,
    /// Who this instance is, in the lease table.
    holder: String,
    addresses: tokio::sync::Mutex<AddressBook>,
}

impl DepositWatcher {
    pub fn new(app: AppState) -> Self {
        Self {
            app,
            holder: uuid::Uuid::new_v4().to_string(),
            addresses: tokio::sync::Mutex::new(AddressBook::default()),
        }
    }

    pub async fn run_once(&self) -> Result<Step, StoreError> {
        crate::metrics::worker_stepped("deposit_watcher");
        let store = self.app.store.as_ref();
        let now = self.app.clock.now();
        let lease_secs = self.app.config.deposits.lease_secs;
        let until = now.plus_seconds(lease_secs);
        if !store.acquire_lease(LEASE, &self.holder, now, until).await? {
            return Ok(Step::Idle);
        }
        let mut book = self.addresses.lock().await;
        book.refresh(store, now).await?;
        metrics::gauge!("sluice_deposit_addresses_watched").set(book.len() as f64);
        let mut work = 0;
        for chain in self.app.chains.all() {
            if chain.ensure_proven(now).await.is_err() {
                continue; // its flows are left untouched until its node proves its chain ID
            }
            let head = match chain.rpc.block_number().await {
                Ok(head) => head,
                Err(e) => {
                    tracing::warn!(chain.id = %chain.config.chain_id, error = %e, "deposit scan: no block number; will retry");
                    continue;
                }
            };
            work += scan::scan(&self.app, &chain, &book, head).await?;
            work += confirm::confirm(&self.app, &chain, head).await?;
        }
        work += confirm::fail_underpaid(&self.app).await?;
        Ok(if work == 0 {
            Step::Idle
        } else {
            Step::Worked(work)
        })
    }
}

impl super::Worker for DepositWatcher {
    const NAME: &'static str = "deposit_watcher";

    async fn run_once(&self) -> Result<Step, StoreError> {
        DepositWatcher::run_once(self).await
    }
}
