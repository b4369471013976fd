-- Sluice schema, SQLite. Times are integer milliseconds since the Unix epoch (UTC); IDs are
-- lowercase hyphenated UUID text; secrets are stored only as SHA-256 hashes.

CREATE TABLE environments (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,          -- JSON array of serialised origins
    enabled_chains  TEXT,                   -- JSON array of chain names; NULL = every chain
    created_at      INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    token_hash     BLOB PRIMARY KEY,        -- SHA-256 of the whole token
    environment_id TEXT NOT NULL REFERENCES environments (id),
    prefix         TEXT NOT NULL,           -- 8 characters after `slc_`, to name the token
    scopes         TEXT NOT NULL,           -- space-separated
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER
);
CREATE INDEX api_tokens_by_prefix ON api_tokens (prefix);

CREATE TABLE deny_list (
    environment_id TEXT NOT NULL REFERENCES environments (id),
    screening_key  TEXT NOT NULL,
    PRIMARY KEY (environment_id, screening_key)
);

-- One row per flow. The columns are what the database queries, guards and indexes; `doc`
-- holds the rest of the flow as its wire JSON. The live session token's hash lives on the
-- row itself, so "at most one live token per flow" cannot be broken by any interleaving.
CREATE TABLE flows (
    id                 TEXT PRIMARY KEY,
    environment_id     TEXT NOT NULL REFERENCES environments (id),
    mode               TEXT NOT NULL,
    execution_state    TEXT NOT NULL,
    settlement_state   TEXT NOT NULL,
    risk_state         TEXT NOT NULL,
    session_token_hash BLOB,
    expires_at         INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    revision           INTEGER NOT NULL,
    doc                TEXT NOT NULL
);
CREATE INDEX flows_listing ON flows (environment_id, created_at DESC, id DESC);
CREATE INDEX flows_expiring ON flows (expires_at)
    WHERE execution_state IN ('initiated', 'source_attached', 'quoted', 'signing');

-- The outbox: events written in the same transaction as the change they describe.
CREATE TABLE flow_events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    environment_id TEXT NOT NULL,
    flow_id        TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    payload        TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX flow_events_by_flow ON flow_events (flow_id, seq);

CREATE TABLE idempotency_keys (
    environment_id TEXT NOT NULL,
    path           TEXT NOT NULL,
    key            TEXT NOT NULL,
    request_hash   BLOB NOT NULL,
    state          TEXT NOT NULL,           -- 'running' or 'done'
    status         INTEGER,
    body           TEXT,
    created_at     INTEGER NOT NULL,
    lease_until    INTEGER NOT NULL,
    PRIMARY KEY (environment_id, path, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
