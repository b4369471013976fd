-- Webhook endpoints and their deliveries. No secret is stored: signing secrets are derived
-- from the server's webhook key and `secret_version`.
CREATE TABLE webhook_endpoints (
    id             TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL REFERENCES environments (id),
    url            TEXT NOT NULL,
    event_types    TEXT,                    -- JSON array; NULL = every event type
    enabled        INTEGER NOT NULL,
    secret_version INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_env ON webhook_endpoints (environment_id);

-- The delivery queue: one row per event per endpoint, written in the same transaction as the
-- change that caused the event.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    environment_id  TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL,          -- pending, succeeded, failed
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at INTEGER NOT NULL,
    status_code  INTEGER,
    duration_ms  INTEGER NOT NULL,
    error        TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, seq);
