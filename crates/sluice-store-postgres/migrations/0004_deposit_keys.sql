-- One extended public key per environment and chain family, from which each flow's deposit
-- address is derived. `next_index` is the next derivation index to hand out; it belongs to
-- the (environment, family) pair and only ever grows, even when the key is replaced.
CREATE TABLE deposit_keys (
    environment_id UUID    NOT NULL REFERENCES environments (id),
    chain_family   TEXT    NOT NULL CHECK (chain_family IN ('EVM', 'BTC')),
    xpub           TEXT    NOT NULL,
    fingerprint    TEXT    NOT NULL,
    next_index     BIGINT  NOT NULL DEFAULT 0 CHECK (next_index >= 0),
    updated_at     BIGINT  NOT NULL,
    PRIMARY KEY (environment_id, chain_family)
);
