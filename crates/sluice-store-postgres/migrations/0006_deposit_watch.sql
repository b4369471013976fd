-- The deposit watcher's durable state. `deposit_transfers` holds every transfer to a deposit
-- address that a scan saw, until it is confirmed and recorded on its flow (status 'recorded')
-- or its block is reorged away (the row is deleted and the blocks scanned again). The primary
-- key makes counting a transfer twice impossible; log_index is -1 for a native transfer.
CREATE TABLE deposit_transfers (
    chain_id       TEXT    NOT NULL,
    tx_hash        TEXT    NOT NULL,
    log_index      BIGINT  NOT NULL,
    environment_id UUID    NOT NULL REFERENCES environments (id),
    flow_id        UUID    NOT NULL REFERENCES flows (id),
    token_address  TEXT    NOT NULL,
    amount         TEXT    NOT NULL,
    block_number   BIGINT  NOT NULL,
    block_hash     TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'recorded')),
    seen_at        BIGINT  NOT NULL,
    PRIMARY KEY (chain_id, tx_hash, log_index)
);
CREATE INDEX deposit_transfers_pending ON deposit_transfers (chain_id, block_number)
    WHERE status = 'pending';

-- The next block each chain's scan starts at, and the hash of the last block scanned (the
-- next block's parent, or a reorg happened): advanced in the same transaction that stores
-- what the scanned blocks held, so a restart neither skips nor repeats a block.
CREATE TABLE chain_cursors (
    chain_id   TEXT    PRIMARY KEY,
    last_hash  TEXT,
    next_block BIGINT  NOT NULL CHECK (next_block >= 0)
);

-- Leases of singleton workers across instances: whoever holds an unexpired lease does the
-- work; a crashed holder's lease runs out and another instance takes it.
CREATE TABLE worker_leases (
    name       TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL
);
