-- +migrate Up
CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    amount INTEGER NOT NULL
);

-- +migrate Down
DROP TABLE entries;
