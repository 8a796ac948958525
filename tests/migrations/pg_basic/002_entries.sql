-- +migrate Up
CREATE TABLE entries (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    amount NUMERIC(12, 2) NOT NULL CHECK (amount <> 0)
);

-- +migrate Down
DROP TABLE entries;
