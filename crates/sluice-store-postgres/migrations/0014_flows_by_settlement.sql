-- no-transaction
-- S4 filtered by settlementState (and mode): see 0013.
CREATE INDEX CONCURRENTLY IF NOT EXISTS flows_by_settlement
    ON flows (environment_id, settlement_state, mode, created_at, id);
