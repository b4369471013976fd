-- no-transaction
-- S4 reads index ranges only (issue 21; see sluice-store's list_plan.rs). Each index is built
-- CONCURRENTLY, one per migration (it cannot run inside a transaction), so a live table keeps
-- taking writes while it is built. A build interrupted leaves an INVALID index: drop it and
-- start Sluice again (OPERATIONS.md).
CREATE INDEX CONCURRENTLY IF NOT EXISTS flows_by_state
    ON flows (environment_id, execution_state, settlement_state, mode, created_at, id, expires_at);
