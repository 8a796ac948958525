-- VACUUM cannot run inside a transaction.
-- +migrate NoTransaction
-- +migrate Up
VACUUM;

-- +migrate Down
VACUUM;
