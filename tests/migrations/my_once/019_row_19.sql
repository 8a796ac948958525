-- +migrate Up
INSERT INTO counter VALUES (19);

-- +migrate Down
DELETE FROM counter WHERE k = 19;
