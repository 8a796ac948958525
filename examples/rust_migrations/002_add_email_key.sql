-- The email as the application compares it, filled by the next migration.
-- +migrate Up
ALTER TABLE accounts ADD COLUMN email_key TEXT;

-- +migrate Down
ALTER TABLE accounts DROP COLUMN email_key;
