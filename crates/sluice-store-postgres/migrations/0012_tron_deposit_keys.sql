-- TRON joins the chain families with deposit keys and addresses: the CHECK constraints are
-- widened. Each new constraint is added NOT VALID and validated afterwards, so the tables
-- are never locked against writes while their rows are checked.
ALTER TABLE deposit_keys DROP CONSTRAINT deposit_keys_chain_family_check;
ALTER TABLE deposit_keys ADD CONSTRAINT deposit_keys_chain_family_check
    CHECK (chain_family IN ('EVM', 'BTC', 'TRON')) NOT VALID;
ALTER TABLE deposit_keys VALIDATE CONSTRAINT deposit_keys_chain_family_check;
ALTER TABLE deposit_addresses DROP CONSTRAINT deposit_addresses_chain_family_check;
ALTER TABLE deposit_addresses ADD CONSTRAINT deposit_addresses_chain_family_check
    CHECK (chain_family IN ('EVM', 'BTC', 'TRON')) NOT VALID;
ALTER TABLE deposit_addresses VALIDATE CONSTRAINT deposit_addresses_chain_family_check;
