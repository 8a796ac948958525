-- +migrate Up
INSERT INTO counter VALUES (14);

-- +migrate Down
DELETE FROM counter WHERE k = 14;
