-- +migrate Up
INSERT INTO counter VALUES (2);

-- +migrate Down
DELETE FROM counter WHERE k = 2;
