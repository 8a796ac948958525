-- +migrate Up
INSERT INTO counter VALUES (8);

-- +migrate Down
DELETE FROM counter WHERE k = 8;
