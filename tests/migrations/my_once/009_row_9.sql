-- +migrate Up
INSERT INTO counter VALUES (9);

-- +migrate Down
DELETE FROM counter WHERE k = 9;
