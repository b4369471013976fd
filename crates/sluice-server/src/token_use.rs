//! When each API token was last used, for `sluice token list`. Recording it on every request
//! would add a database write to every server call; instead each instance writes a token's
//! use at most once a minute, after answering, off the request's path. The time shown is
//! therefore accurate to within a minute, and a crash loses at most that minute.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sluice_domain::{Timestamp, TokenHash};
use sluice_store::Store;

/// How often one instance records one token's use.
const EVERY_MS: i64 = 60_000;

#[derive(Default)]
pub struct TokenUses {
    recorded: Mutex<HashMap<TokenHash, Timestamp>>,
}

impl TokenUses {
    /// Notes that `token` authenticated a request at `now`, and writes it to the store in the
    /// background unless this instance did so within the last minute. Only tokens that
    /// authenticated are noted, so the map holds at most one entry per live token.
    pub fn note(&self, store: &Arc<dyn Store>, token: TokenHash, now: Timestamp) {
        if !self.due(token, now) {
            return;
        }
        let store = store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.touch_api_token(&token, now).await {
                tracing::warn!(error = %e, "could not record an API token's last use");
            }
        });
    }

    fn due(&self, token: TokenHash, now: Timestamp) -> bool {
        let mut recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        match recorded.get(&token) {
            Some(last) if now.0 - last.0 < EVERY_MS => false,
            _ => {
                recorded.insert(token, now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_recorded_at_most_once_a_minute() {
        let uses = TokenUses::default();
        let (a, b) = (TokenHash([1; 32]), TokenHash([2; 32]));
        assert!(uses.due(a, Timestamp(0)));
        assert!(!uses.due(a, Timestamp(59_999)));
        assert!(uses.due(b, Timestamp(59_999)), "per token");
        assert!(uses.due(a, Timestamp(60_000)));
    }
}
