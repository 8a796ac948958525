-- +migrate Up
-- In a transaction: the test pauses its migrator during the sleep, so that
-- the transaction then sits idle while the migrator is paused.
INSERT INTO counter (k) VALUES (2);
SELECT pg_sleep(1.5);

-- +migrate Down
DELETE FROM counter WHERE k = 2;
