-- +migrate Up
INSERT INTO seen VALUES (2, current_setting('statement_timeout'), current_setting('lock_timeout'));

-- +migrate Down
DELETE FROM seen WHERE migration = 2;
