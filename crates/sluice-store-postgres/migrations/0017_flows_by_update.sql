-- no-transaction
-- S4's incremental sync (updatedSince, an extension): pages in (updated_at, id) order.
CREATE INDEX CONCURRENTLY IF NOT EXISTS flows_by_update ON flows (environment_id, updated_at, id);
