-- Wallet payments found by the chain watcher's block scan (issue 16): a broadcast payment's
-- transaction, seen in a block, waits here until its block has the chain's confirmations and
-- is still canonical; then its verdict is recorded on the flow and the row deleted. The key
-- is the transaction, so one transaction can be sighted for (and settle) one flow only.
CREATE TABLE payment_sightings (
    chain_id       TEXT    NOT NULL,
    tx_hash        TEXT    NOT NULL,
    environment_id UUID    NOT NULL REFERENCES environments (id),
    flow_id        UUID    NOT NULL REFERENCES flows (id),
    block_number   BIGINT  NOT NULL,
    block_hash     TEXT    NOT NULL,
    seen_at        BIGINT  NOT NULL,
    PRIMARY KEY (chain_id, tx_hash)
);
CREATE INDEX payment_sightings_by_block ON payment_sightings (chain_id, block_number);

-- The underpaid check reads waiting flows by expiry, so 10,000 pending wallet payments never
-- stand in front of an expired deposit flow.
CREATE INDEX flows_waiting_by_expiry ON flows (expires_at)
    WHERE execution_state IN ('broadcasted', 'source_detected');
