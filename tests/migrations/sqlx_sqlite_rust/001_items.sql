-- +migrate Up
CREATE TABLE items (n INTEGER NOT NULL);

-- +migrate Down
DROP TABLE items;
