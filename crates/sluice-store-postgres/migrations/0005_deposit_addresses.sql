-- Every derivation index ever handed out, with its address and the flow holding it: the
-- primary key makes an index impossible to hand out twice, the unique flow makes a second
-- address for one flow impossible, and the address index is what the deposit watcher matches.
CREATE TABLE deposit_addresses (
    environment_id   UUID    NOT NULL REFERENCES environments (id),
    chain_family     TEXT    NOT NULL CHECK (chain_family IN ('EVM', 'BTC')),
    derivation_index BIGINT  NOT NULL CHECK (derivation_index >= 0),
    address          TEXT    NOT NULL,
    flow_id          UUID    NOT NULL UNIQUE REFERENCES flows (id),
    created_at       BIGINT  NOT NULL,
    PRIMARY KEY (environment_id, chain_family, derivation_index)
);
CREATE INDEX deposit_addresses_by_address ON deposit_addresses (address);
