-- +migrate Up
INSERT INTO counter VALUES (17);

-- +migrate Down
DELETE FROM counter WHERE k = 17;
