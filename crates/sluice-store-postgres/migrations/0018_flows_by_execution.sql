-- no-transaction
-- S4 filtered by executionState alone, as one index range (see the SQLite migration 0014).
CREATE INDEX CONCURRENTLY IF NOT EXISTS flows_by_execution
    ON flows (environment_id, execution_state, created_at, id, expires_at);
