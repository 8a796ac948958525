-- +migrate NoTransaction
-- +migrate Up
CREATE INDEX CONCURRENTLY users_created_at ON users (created_at);

-- +migrate Down
DROP INDEX CONCURRENTLY IF EXISTS users_created_at;
