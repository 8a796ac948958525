-- +migrate Up
INSERT INTO counter (k) VALUES (3);

-- +migrate Down
DELETE FROM counter WHERE k = 3;
