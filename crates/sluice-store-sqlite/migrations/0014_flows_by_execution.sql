-- S4 filtered by executionState alone, the dashboard's commonest page ("failed", "completed"),
-- as one index range instead of one per (settlement state, mode) pair of flows_by_state.
CREATE INDEX IF NOT EXISTS flows_by_execution
    ON flows (environment_id, execution_state, created_at, id, expires_at);
