-- +migrate NoTransaction
-- +migrate Up
CREATE INDEX CONCURRENTLY counter_k ON counter (k);

-- +migrate Down
DROP INDEX CONCURRENTLY counter_k;
