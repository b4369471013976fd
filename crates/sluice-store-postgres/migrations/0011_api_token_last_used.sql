-- When each API token last authenticated a request (to within a minute: a server records a
-- token's use at most once a minute), for `sluice token list`. NULL: never used.
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
