-- no-transaction
-- S4 filtered by userId (an extension): the doc's userId, read as json (see 0013).
CREATE INDEX CONCURRENTLY IF NOT EXISTS flows_by_user
    ON flows (environment_id, (doc::json ->> 'userId'), created_at, id);
