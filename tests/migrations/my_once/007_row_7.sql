-- +migrate Up
INSERT INTO counter VALUES (7);

-- +migrate Down
DELETE FROM counter WHERE k = 7;
