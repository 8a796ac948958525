-- +migrate LockTimeout 300ms
-- +migrate Up
ALTER TABLE readings ADD COLUMN source text;

-- +migrate Down
ALTER TABLE readings DROP COLUMN source;
