-- Accounts, their emails as people typed them.
-- +migrate Up
CREATE TABLE accounts (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL
);

-- +migrate Down
DROP TABLE accounts;
