-- +migrate Up
SELECT pg_sleep(30);
INSERT INTO slow VALUES (1);

-- +migrate Down
DELETE FROM slow;
