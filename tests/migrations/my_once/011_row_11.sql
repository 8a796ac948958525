-- +migrate Up
INSERT INTO counter VALUES (11);

-- +migrate Down
DELETE FROM counter WHERE k = 11;
