-- +migrate NoTransaction
-- +migrate Up
CREATE INDEX CONCURRENTLY accounts_created_at ON accounts (created_at);

-- +migrate Down
DROP INDEX CONCURRENTLY IF EXISTS accounts_created_at;
