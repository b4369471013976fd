-- Exchanges an environment can fund flows through (today: Coinbase Onramp). The API key itself
-- is not stored: only its name and the path of the file that holds it, which each server reads
-- at start, so a database dump reveals nothing that can sign a request.
CREATE TABLE exchanges (
    environment_id UUID    NOT NULL REFERENCES environments (id),
    provider       TEXT    NOT NULL CHECK (provider IN ('coinbase')),
    api_key_name   TEXT    NOT NULL,
    api_key_file   TEXT    NOT NULL,
    updated_at     BIGINT  NOT NULL,
    PRIMARY KEY (environment_id, provider)
);
