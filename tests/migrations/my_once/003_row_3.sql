-- +migrate Up
INSERT INTO counter VALUES (3);

-- +migrate Down
DELETE FROM counter WHERE k = 3;
