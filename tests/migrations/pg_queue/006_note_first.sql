-- +migrate NoTransaction
-- +migrate Up
-- Changes a row another session may hold.
UPDATE readings SET note = 'first' WHERE id = 1;
INSERT INTO log VALUES (6);

-- +migrate Down
DELETE FROM log WHERE k = 6;
UPDATE readings SET note = NULL WHERE id = 1;
