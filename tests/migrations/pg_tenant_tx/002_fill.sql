-- +migrate Timeout 30s
-- +migrate Up
INSERT INTO items SELECT generate_series(1, 150);

-- +migrate Down
DELETE FROM items;
