//! [`DepositStore`] on PostgreSQL; the queries live in `deposit_keys`, `deposit_watch` and
//! `payment_watch`.

use super::*;

#[async_trait]
impl DepositStore for PostgresStore {
    async fn set_deposit_key(&self, key: &DepositKeyRecord) -> StoreResult<()> {
        deposit_keys::set(self, key).await
    }

    async fn raise_deposit_index(
        &self,
        env: EnvironmentId,
        family: sluice_domain::deposit_key::ChainFamily,
        at_least: i64,
    ) -> StoreResult<Option<i64>> {
        deposit_keys::raise_index(self, env, family, at_least).await
    }

    async fn deposit_keys(&self, env: EnvironmentId) -> StoreResult<Vec<DepositKeyRecord>> {
        deposit_keys::list(self, env).await
    }

    async fn assign_deposit_address(
        &self,
        env: EnvironmentId,
        id: FlowId,
        chain: sluice_domain::ChainName,
        now: Timestamp,
    ) -> StoreResult<Result<Flow, Rejection>> {
        deposit_keys::assign(self, env, id, chain, now).await
    }

    async fn deposit_addresses(
        &self,
        env: EnvironmentId,
    ) -> StoreResult<Vec<DepositAddressRecord>> {
        deposit_keys::addresses(self, env).await
    }

    async fn watched_addresses(
        &self,
        family: sluice_domain::deposit_key::ChainFamily,
        since: Timestamp,
    ) -> StoreResult<Vec<WatchedAddress>> {
        deposit_watch::watched_addresses(self, family, since).await
    }

    async fn scan_cursor(&self, chain_id: &str) -> StoreResult<Option<ScanCursor>> {
        deposit_watch::scan_cursor(self, chain_id).await
    }

    async fn record_scan(
        &self,
        chain_id: &str,
        seen: &[SeenTransfer],
        sightings: &[PaymentSighting],
        cursor: &ScanCursor,
        now: Timestamp,
    ) -> StoreResult<()> {
        deposit_watch::record_scan(self, chain_id, seen, sightings, cursor, now).await
    }

    async fn record_sighting(
        &self,
        chain_id: &str,
        sighting: &PaymentSighting,
        now: Timestamp,
    ) -> StoreResult<()> {
        payment_watch::record(self, chain_id, sighting, now).await
    }

    async fn payment_sightings(&self, chain_id: &str) -> StoreResult<Vec<PaymentSighting>> {
        payment_watch::all(self, chain_id).await
    }

    async fn close_sighting(&self, chain_id: &str, tx_hash: &str) -> StoreResult<()> {
        payment_watch::decide(self, chain_id, tx_hash).await
    }

    async fn pending_transfers(
        &self,
        chain_id: &str,
        up_to_block: u64,
    ) -> StoreResult<Vec<SeenTransfer>> {
        deposit_watch::pending_transfers(self, chain_id, up_to_block).await
    }

    async fn has_pending_transfers(&self, flow_id: FlowId) -> StoreResult<bool> {
        deposit_watch::has_pending_transfers(self, flow_id).await
    }

    async fn mark_transfer_recorded(&self, chain_id: &str, seen: &SeenTransfer) -> StoreResult<()> {
        deposit_watch::mark_recorded(self, chain_id, seen).await
    }

    async fn rewind_scan(&self, chain_id: &str, from_block: u64) -> StoreResult<()> {
        deposit_watch::rewind_scan(self, chain_id, from_block).await
    }
}
