-- +migrate Timeout 300ms
-- +migrate Up
SELECT SLEEP(3);

-- +migrate Down
SELECT 1;
