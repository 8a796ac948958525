-- +migrate Up
INSERT INTO counter VALUES (16);

-- +migrate Down
DELETE FROM counter WHERE k = 16;
