-- +migrate Up
INSERT INTO counter VALUES (15);

-- +migrate Down
DELETE FROM counter WHERE k = 15;
