-- +migrate Up
INSERT INTO counter VALUES (18);

-- +migrate Down
DELETE FROM counter WHERE k = 18;
