-- +migrate Up
CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    amount INTEGER NOT NULL
);
CREATE INDEX entries_account ON entries (account_id);

-- +migrate Down
DROP INDEX entries_account;
DROP TABLE entries;
