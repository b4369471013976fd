//! The watched addresses, in memory: every deposit address ever allocated, of every family
//! (a transfer to a final flow's address must still be recorded), loaded incrementally. One
//! map serves all chains: a family's scan only ever asks about addresses in its own form
//! (`0x…` hex on EVM, `bc1…`/`tb1…` on Bitcoin), which never equal another family's. Allocations are read
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
    newest: HashMap<ChainFamily, Timestamp>,
}

impl AddressBook {
    pub async fn refresh(&mut self, store: &dyn Store, now: Timestamp) -> Result<(), StoreError> {
        for family in ChainFamily::ALL {
            let since = self.newest.get(&family).map_or(Timestamp(i64::MIN), |t| {
                t.plus_seconds(-OVERLAP_SECS).min(now)
            });
            for watched in store.watched_addresses(family, since).await? {
                let newest = self.newest.entry(family).or_insert(watched.created_at);
                *newest = (*newest).max(watched.created_at);
                // As each family's scan spells addresses: lower-case hex on EVM; Bitcoin's
                // bech32 is lower-case already, and TRON's base58 is case-sensitive.
                let address = match family {
                    ChainFamily::Evm => watched.address.to_ascii_lowercase(),
                    _ => watched.address,
                };
                self.by_address
                    .insert(address, (watched.environment_id, watched.flow_id));
            }
        }
        Ok(())
    }

    /// The flow whose deposit address this is (`address` as its family's scan spells it).
    pub fn flow_of(&self, address: &str) -> Option<(EnvironmentId, FlowId)> {
        self.by_address.get(address).copied()
    }

    pub fn len(&self) -> usize {
        self.by_address.len()
    }
}
