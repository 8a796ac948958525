-- +migrate Up
INSERT INTO counter VALUES (19);
SELECT pg_sleep(0.005);

-- +migrate Down
DELETE FROM counter WHERE k = 19;
