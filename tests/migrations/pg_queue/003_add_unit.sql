-- +migrate NoTransaction
-- +migrate Up
INSERT INTO log VALUES (3);
ALTER TABLE readings ADD COLUMN unit text;

-- +migrate Down
ALTER TABLE readings DROP COLUMN unit;
DELETE FROM log WHERE k = 3;
