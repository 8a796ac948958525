-- +migrate Up
INSERT INTO counter VALUES (4);

-- +migrate Down
DELETE FROM counter WHERE k = 4;
