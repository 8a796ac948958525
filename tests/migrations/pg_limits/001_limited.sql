-- +migrate Timeout 10s
-- +migrate Up
CREATE TABLE seen (migration INTEGER NOT NULL, statement_timeout TEXT NOT NULL, lock_timeout TEXT NOT NULL);
INSERT INTO seen VALUES (1, current_setting('statement_timeout'), current_setting('lock_timeout'));

-- +migrate Down
DROP TABLE seen;
