-- +migrate Up
ALTER TABLE accounts ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;

-- +migrate Down
ALTER TABLE accounts DROP COLUMN closed;
