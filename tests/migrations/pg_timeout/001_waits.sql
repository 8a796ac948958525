-- +migrate Timeout 300ms
-- +migrate Up
CREATE TABLE waits (x INTEGER);
SELECT pg_sleep(3);

-- +migrate Down
DROP TABLE waits;
