-- Wallet payments found by the chain watcher's block scan (issue 16): a broadcast payment's
-- transaction, seen in a block, waits here ('pending') until its block has the chain's
-- confirmations and is still canonical; then its verdict is recorded on the flow and the row
-- kept as 'decided'. The key is the transaction and decided rows are never deleted, so one
-- transaction can be sighted for (and settle) one flow only, ever.
CREATE TABLE payment_sightings (
    chain_id       TEXT    NOT NULL,
    tx_hash        TEXT    NOT NULL,
    environment_id TEXT    NOT NULL REFERENCES environments (id),
    flow_id        TEXT    NOT NULL REFERENCES flows (id),
    block_number   INTEGER NOT NULL,
    block_hash     TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'decided')),
    seen_at        INTEGER NOT NULL,
    PRIMARY KEY (chain_id, tx_hash)
);
CREATE INDEX payment_sightings_pending ON payment_sightings (chain_id, block_number)
    WHERE status = 'pending';

-- The underpaid check reads waiting flows by expiry, so 10,000 pending wallet payments never
-- stand in front of an expired deposit flow.
CREATE INDEX flows_waiting_by_expiry ON flows (expires_at)
    WHERE execution_state IN ('broadcasted', 'source_detected');
