-- +migrate NoTransaction
-- +migrate Up
CREATE INDEX CONCURRENTLY items_n ON items (n);

-- +migrate Down
DROP INDEX CONCURRENTLY items_n;
