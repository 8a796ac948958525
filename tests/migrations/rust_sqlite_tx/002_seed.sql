-- +migrate Up
INSERT INTO items (n) VALUES (1);

-- +migrate Down
DELETE FROM items WHERE n = 1;
