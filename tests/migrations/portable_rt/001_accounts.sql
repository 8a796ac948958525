-- +migrate Up
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);

-- +migrate Down
DROP TABLE accounts;
