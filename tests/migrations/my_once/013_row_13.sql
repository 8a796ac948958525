-- +migrate Up
INSERT INTO counter VALUES (13);

-- +migrate Down
DELETE FROM counter WHERE k = 13;
