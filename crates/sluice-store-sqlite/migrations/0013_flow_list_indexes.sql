-- S4 reads index ranges only (issue 21): one index per kind of filter, each ending in
-- (created_at, id) so that a page is the first rows of a few ranges (see sluice-store's
-- list_plan.rs). flows_by_state ends in expires_at so that its ranges answer the expiry rule
-- from the index alone. flows_by_user indexes the doc's userId; flows_by_update serves the
-- incremental sync (updatedSince). SQLite builds each index in one pass over the table while
-- the migration holds the write lock: at a million flows, about a minute (OPERATIONS.md).
CREATE INDEX IF NOT EXISTS flows_by_state
    ON flows (environment_id, execution_state, settlement_state, mode, created_at, id, expires_at);
CREATE INDEX IF NOT EXISTS flows_by_settlement
    ON flows (environment_id, settlement_state, mode, created_at, id);
CREATE INDEX IF NOT EXISTS flows_by_mode ON flows (environment_id, mode, created_at, id);
CREATE INDEX IF NOT EXISTS flows_by_user
    ON flows (environment_id, json_extract(doc, '$.userId'), created_at, id);
CREATE INDEX IF NOT EXISTS flows_by_update ON flows (environment_id, updated_at, id);
