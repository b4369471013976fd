-- no-transaction
-- S4 filtered by mode: see 0013.
CREATE INDEX CONCURRENTLY IF NOT EXISTS flows_by_mode ON flows (environment_id, mode, created_at, id);
