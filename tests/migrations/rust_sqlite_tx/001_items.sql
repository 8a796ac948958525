-- +migrate Up
CREATE TABLE items (n INTEGER PRIMARY KEY);
CREATE TABLE actions (what TEXT NOT NULL);

-- +migrate Down
DROP TABLE actions;
DROP TABLE items;
