-- +migrate Up
INSERT INTO counter VALUES (20);

-- +migrate Down
DELETE FROM counter WHERE k = 20;
