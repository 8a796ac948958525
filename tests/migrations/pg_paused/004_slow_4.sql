-- +migrate NoTransaction
-- +migrate Up
SELECT pg_sleep(0.3);
INSERT INTO counter (k) VALUES (4);
SELECT pg_sleep(0.3);

-- +migrate Down
DELETE FROM counter WHERE k = 4;
