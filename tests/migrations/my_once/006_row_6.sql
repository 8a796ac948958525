-- +migrate Up
INSERT INTO counter VALUES (6);

-- +migrate Down
DELETE FROM counter WHERE k = 6;
