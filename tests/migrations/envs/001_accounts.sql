-- +migrate Up
CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT NOT NULL);

-- +migrate Down
DROP TABLE accounts;
