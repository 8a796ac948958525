-- +migrate Up
CREATE INDEX accounts_created_at ON accounts (created_at);

-- +migrate Down
DROP INDEX accounts_created_at;
