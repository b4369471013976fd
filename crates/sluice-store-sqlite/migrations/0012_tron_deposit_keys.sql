-- TRON joins the chain families with deposit keys and addresses. SQLite cannot change a CHECK
-- constraint in place, so both tables are rebuilt with the wider one and their rows copied
-- (one pass over deposit_addresses, one row per deposit flow; see OPERATIONS.md, upgrades).
CREATE TABLE deposit_keys_new (
    environment_id TEXT    NOT NULL REFERENCES environments (id),
    chain_family   TEXT    NOT NULL CHECK (chain_family IN ('EVM', 'BTC', 'TRON')),
    xpub           TEXT    NOT NULL,
    fingerprint    TEXT    NOT NULL,
    next_index     INTEGER NOT NULL DEFAULT 0 CHECK (next_index >= 0),
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (environment_id, chain_family)
);
INSERT INTO deposit_keys_new (environment_id, chain_family, xpub, fingerprint, next_index, updated_at)
    SELECT environment_id, chain_family, xpub, fingerprint, next_index, updated_at FROM deposit_keys;
DROP TABLE deposit_keys;
ALTER TABLE deposit_keys_new RENAME TO deposit_keys;

CREATE TABLE deposit_addresses_new (
    environment_id   TEXT    NOT NULL REFERENCES environments (id),
    chain_family     TEXT    NOT NULL CHECK (chain_family IN ('EVM', 'BTC', 'TRON')),
    derivation_index INTEGER NOT NULL CHECK (derivation_index >= 0),
    address          TEXT    NOT NULL,
    flow_id          TEXT    NOT NULL UNIQUE REFERENCES flows (id),
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (environment_id, chain_family, derivation_index)
);
INSERT INTO deposit_addresses_new (environment_id, chain_family, derivation_index, address, flow_id, created_at)
    SELECT environment_id, chain_family, derivation_index, address, flow_id, created_at FROM deposit_addresses;
DROP TABLE deposit_addresses;
ALTER TABLE deposit_addresses_new RENAME TO deposit_addresses;
CREATE INDEX deposit_addresses_by_address ON deposit_addresses (address);
