//! The watched addresses, in memory: every EVM deposit address ever allocated (a transfer to
//! a final flow's address must still be recorded), loaded incrementally. Allocations are read
//! again from a little before the newest one seen, so an allocation whose transaction
//! committed after a later one is not missed.

use std::collections::HashMap;

use sluice_domain::deposit_key::ChainFamily;
use sluice_domain::{EnvironmentId, FlowId, Timestamp};
use sluice_store::{Store, StoreError};

/// How far back each refresh re-reads allocations (far longer than any write transaction).
const OVERLAP_SECS: i64 = 300;

#[derive(Default)]
pub struct AddressBook {
    by_address: HashMap<String, (EnvironmentId, FlowId)>,
    newest: Option<Timestamp>,
}

impl AddressBook {
    pub async fn refresh(&mut self, store: &dyn Store, now: Timestamp) -> Result<(), StoreError> {
        let since = self.newest.map_or(Timestamp(i64::MIN), |t| {
            t.plus_seconds(-OVERLAP_SECS).min(now)
        });
        for watched in store.watched_addresses(ChainFamily::Evm, since).await? {
            self.newest = Some(
                self.newest
                    .map_or(watched.created_at, |n| n.max(watched.created_at)),
            );
            self.by_address
                .insert(watched.address, (watched.environment_id, watched.flow_id));
        }
        Ok(())
    }

    /// The flow whose deposit address this is (`address` in lower case).
    pub fn flow_of(&self, address: &str) -> Option<(EnvironmentId, FlowId)> {
        self.by_address.get(address).copied()
    }

    pub fn len(&self) -> usize {
        self.by_address.len()
    }
}
