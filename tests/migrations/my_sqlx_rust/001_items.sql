-- +migrate Up
CREATE TABLE items (n INT NOT NULL);

-- +migrate Down
DROP TABLE items;
