-- +migrate NoTransaction
-- +migrate Up
CREATE INDEX CONCURRENTLY counter_k ON counter (k);
INSERT INTO missing VALUES (1);

-- +migrate Down
DROP INDEX CONCURRENTLY counter_k;
