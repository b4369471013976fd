//! Environments and what belongs to one directly: API tokens, the deny list and exchange
//! settings. Read on every authenticated request (behind the server's cache), written by the
//! CLI and the admin routes.

use async_trait::async_trait;
use sluice_domain::{EnvironmentId, Timestamp, TokenHash};

use crate::*;

#[async_trait]
pub trait EnvironmentStore: Send + Sync + 'static {
    async fn create_environment(
        &self,
        env: &Environment,
        token: &ApiTokenRecord,
    ) -> StoreResult<()>;

    /// Creates `env` only when no environment exists yet; atomic across instances.
    async fn create_first_environment(
        &self,
        env: &Environment,
        token: &ApiTokenRecord,
    ) -> StoreResult<bool>;

    async fn environment(&self, id: EnvironmentId) -> StoreResult<Option<Environment>>;

    /// Every environment, oldest first (for `sluice env list`).
    async fn environments(&self) -> StoreResult<Vec<Environment>>;

    /// Replaces the environment's origins and enabled chains.
    async fn update_environment(&self, env: &Environment) -> StoreResult<()>;

    /// Adds (`denied = true`) or removes an address from the environment's deny list.
    async fn set_denied(
        &self,
        env: EnvironmentId,
        screening_key: &str,
        denied: bool,
    ) -> StoreResult<()>;

    /// Whether any of these screening keys is on the environment's deny list.
    async fn any_denied(&self, env: EnvironmentId, screening_keys: &[String]) -> StoreResult<bool>;

    async fn create_api_token(&self, token: &ApiTokenRecord) -> StoreResult<()>;

    async fn api_token(&self, hash: &TokenHash) -> StoreResult<Option<ApiTokenRecord>>;

    /// The environment's tokens, live and revoked, oldest first.
    async fn api_tokens(&self, env: EnvironmentId) -> StoreResult<Vec<ApiTokenSummary>>;

    /// Records that the token authenticated a request at `now`.
    async fn touch_api_token(&self, hash: &TokenHash, now: Timestamp) -> StoreResult<()>;

    /// Revokes every live token with this prefix; returns how many.
    async fn revoke_api_tokens(&self, prefix: &str, now: Timestamp) -> StoreResult<u64>;

    /// Stores an environment's exchange settings, replacing earlier ones for that provider.
    async fn set_exchange(&self, exchange: &ExchangeRecord) -> StoreResult<()>;

    /// Every environment's exchange settings (read by a server at start).
    async fn all_exchanges(&self) -> StoreResult<Vec<ExchangeRecord>>;
}
