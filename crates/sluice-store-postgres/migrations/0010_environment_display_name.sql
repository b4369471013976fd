-- The merchant's name as payers see it on the hosted payment page ("Pay Acme"), set with
-- `sluice env set-display`. NULL (every environment made before this) gives a neutral heading;
-- `name` stays the operator's own label and is never shown to payers.
ALTER TABLE environments ADD COLUMN display_name TEXT;
