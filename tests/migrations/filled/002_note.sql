-- +migrate Up
ALTER TABLE accounts ADD COLUMN note TEXT;

-- +migrate Down
ALTER TABLE accounts DROP COLUMN note;
