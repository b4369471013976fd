//! A short-lived in-process cache of environments for the payer routes.
//!
//! Every payer request starts by loading its environment (allowed origins, enabled chains);
//! on PostgreSQL that read was a network round trip, as costly as the flow read itself.
//! Environments change rarely and only through the command line, so each instance keeps what
//! it read for `[cache] environment_ttl_ms` (default 1 s, 0 turns the cache off): a change
//! to an environment's origins or chains takes effect on every instance within that time.
//! Unknown environments are not cached, so random IDs cannot grow the map.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use sluice_domain::{EnvironmentId, Timestamp};
use sluice_store::{Environment, Store, StoreResult};

pub struct EnvironmentCache {
    ttl_ms: i64,
    entries: RwLock<HashMap<EnvironmentId, (Timestamp, Arc<Environment>)>>,
}

impl EnvironmentCache {
    pub fn new(ttl_ms: u64) -> Self {
        Self {
            ttl_ms: i64::try_from(ttl_ms).unwrap_or(i64::MAX),
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The environment as read at most `ttl_ms` before `now`.
    pub async fn get(
        &self,
        store: &dyn Store,
        id: EnvironmentId,
        now: Timestamp,
    ) -> StoreResult<Option<Arc<Environment>>> {
        if let Some(env) = self.fresh(id, now) {
            return Ok(Some(env));
        }
        let Some(env) = store.environment(id).await?.map(Arc::new) else {
            return Ok(None);
        };
        if self.ttl_ms > 0 {
            let mut entries = self.entries.write().expect("environment cache lock");
            entries.insert(id, (now, env.clone()));
        }
        Ok(Some(env))
    }

    /// The environment if a fresh copy is cached; never reads the store.
    pub fn fresh(&self, id: EnvironmentId, now: Timestamp) -> Option<Arc<Environment>> {
        let entries = self.entries.read().expect("environment cache lock");
        let (read_at, env) = entries.get(&id)?;
        let age = now.0.saturating_sub(read_at.0);
        (0..self.ttl_ms).contains(&age).then(|| env.clone())
    }
}
