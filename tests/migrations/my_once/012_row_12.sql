-- +migrate Up
INSERT INTO counter VALUES (12);

-- +migrate Down
DELETE FROM counter WHERE k = 12;
