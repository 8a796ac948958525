-- +migrate Up
CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE
);

-- +migrate Down
DROP TABLE accounts;
