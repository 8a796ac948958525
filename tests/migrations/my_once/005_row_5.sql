-- +migrate Up
INSERT INTO counter VALUES (5);

-- +migrate Down
DELETE FROM counter WHERE k = 5;
