-- +migrate Up
CREATE TABLE items (n INTEGER PRIMARY KEY);

-- +migrate Down
DROP TABLE items;
