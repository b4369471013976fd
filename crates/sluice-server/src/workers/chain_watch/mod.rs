//! The chain watcher (spec §9): per configured chain, one scanner reads each new block once,
//! through the chain's family adapter, and finds in it both the transfers to flows' deposit
//! addresses and the transactions of broadcast wallet payments (by hash). Deposits are counted
//! by the amount rules (`confirm`); payments are judged against their quotes (`settle`).
//!
//! One instance scans at a time: the holder of the lease, renewed every step, so a crashed
//! holder is replaced within `lease_secs`. Its durable state (cursor per chain, transfers and
//! payment transactions seen but not yet confirmed) lives in the store, and every change to a
//! flow is a guarded transition, so a step cut short anywhere is simply done again.
//!
//! The node calls per block depend on neither the open deposit flows nor the open payments:
//! addresses and hashes are matched in memory. A payment costs calls only when its transaction
//! is first watched (one lookup, for a transaction mined before its hash was reported) and
//! when its block is deep enough to judge it (its receipt and transaction, once).

mod addresses;
mod confirm;
mod lapse;
mod payments;
mod scan;
mod settle;

use std::collections::HashSet;

use sluice_store::{ScanCursor, StoreError};

use super::Step;
use crate::AppState;
use crate::chains::ChainRuntime;
use addresses::AddressBook;
use payments::PaymentBook;

/// The lease's name predates wallet payments joining the scan; kept so that instances of an
/// earlier build and this one never scan at once during a rolling upgrade.
const LEASE: &str = "deposit_watcher";

/// What one step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepReport {
    /// Blocks scanned (and reorg rewinds).
    pub blocks: usize,
    /// Payments whose transaction the node was first asked about.
    pub located: usize,
    /// Deposits recorded and deposit flows failed as underpaid.
    pub deposits: usize,
    /// Wallet payments settled or failed.
    pub verdicts: usize,
}

impl StepReport {
    fn total(&self) -> usize {
        self.blocks + self.located + self.deposits + self.verdicts
    }
}

pub struct ChainWatcher {
    app: AppState,
    /// Who this instance is, in the lease table.
    holder: String,
    books: tokio::sync::Mutex<(AddressBook, PaymentBook)>,
}

impl ChainWatcher {
    pub fn new(app: AppState) -> Self {
        Self {
            app,
            holder: uuid::Uuid::new_v4().to_string(),
            books: tokio::sync::Mutex::new(Default::default()),
        }
    }

    /// Gives the lease up (a clean shutdown), so another instance, or the next start, scans
    /// at once instead of after `lease_secs`. Its state is all in the store already.
    pub async fn release(&self) {
        if let Err(e) = self.app.store.release_lease(LEASE, &self.holder).await {
            tracing::warn!(error = %e, "chain watch: could not give the lease up; it expires by itself");
        }
    }

    /// A [`Self::step`] as the worker loop sees it.
    pub async fn run_once(&self) -> Result<Step, StoreError> {
        let report = self.step().await?;
        Ok(match report.total() {
            0 => Step::Idle,
            n => Step::Worked(n),
        })
    }

    /// One step over every chain, if this instance holds the lease.
    pub async fn step(&self) -> Result<StepReport, StoreError> {
        crate::metrics::worker_stepped("chain_watcher");
        let store = self.app.store.as_ref();
        let now = self.app.clock.now();
        let until = now.plus_seconds(self.app.config.deposits.lease_secs);
        let mut report = StepReport::default();
        if !store.acquire_lease(LEASE, &self.holder, now, until).await? {
            return Ok(report);
        }
        let mut books = self.books.lock().await;
        let (addresses, payments) = &mut *books;
        addresses.refresh(store, now).await?;
        payments.refresh(store, now).await?;
        metrics::gauge!("sluice_deposit_addresses_watched").set(addresses.len() as f64);
        metrics::gauge!("sluice_wallet_payments_watched").set(payments.len() as f64);
        for chain in self.app.chains.all() {
            if chain.ensure_proven(now).await.is_err() {
                continue; // its flows are left untouched until its node proves its network
            }
            self.step_chain(&chain, addresses, payments, &mut report)
                .await?;
        }
        report.deposits += confirm::fail_underpaid(&self.app).await?;
        Ok(report)
    }

    async fn step_chain(
        &self,
        chain: &ChainRuntime,
        addresses: &AddressBook,
        payments: &mut PaymentBook,
        report: &mut StepReport,
    ) -> Result<(), StoreError> {
        let key = chain.key.as_str();
        let head = match chain.node.head().await {
            Ok(head) => head,
            Err(e) => {
                tracing::warn!(chain.id = key, error = %e, "chain watch: no head block; will retry");
                return Ok(());
            }
        };
        let cursor = self.cursor(key, head).await?;
        report.located += settle::locate_new(&self.app, chain, payments, &cursor).await?;
        let claims = payments.claims(key, chain.node.as_ref());
        let watched = scan::Watched {
            addresses,
            payments: &claims,
        };
        report.blocks += scan::scan(&self.app, chain, &watched, cursor, head).await?;
        report.deposits += confirm::confirm(&self.app, chain, head).await?;
        let sightings = self.app.store.payment_sightings(key).await?;
        report.verdicts +=
            settle::settle_confirmed(&self.app, chain, payments, &sightings, head).await?;
        // Never "not found" while blocks up to the head are unread (or being read again).
        let caught_up = self
            .app
            .store
            .scan_cursor(key)
            .await?
            .is_some_and(|c| c.next_block > head);
        if caught_up {
            let sighted: HashSet<_> = sightings.iter().map(|s| s.flow_id).collect();
            report.verdicts += settle::fail_not_found(&self.app, chain, payments, &sighted).await?;
            report.verdicts += lapse::fail_lapsed(&self.app, chain, payments, &sighted).await?;
        }
        Ok(())
    }

    /// Where the chain's scan stands; the first scan ever starts at the head (transfers
    /// before the watcher first ran are not looked for, documented in DEPOSITS.md).
    async fn cursor(&self, key: &str, head: u64) -> Result<ScanCursor, StoreError> {
        let store = self.app.store.as_ref();
        if let Some(cursor) = store.scan_cursor(key).await? {
            return Ok(cursor);
        }
        let start = ScanCursor {
            next_block: head,
            last_hash: None,
        };
        let now = self.app.clock.now();
        store.record_scan(key, &[], &[], &start, now).await?;
        tracing::info!(chain.id = key, block = head, "chain scan starts");
        Ok(start)
    }
}

impl super::Worker for ChainWatcher {
    const NAME: &'static str = "chain_watcher";

    async fn run_once(&self) -> Result<Step, StoreError> {
        ChainWatcher::run_once(self).await
    }

    async fn stop(&self) {
        self.release().await;
    }
}
