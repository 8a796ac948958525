-- +migrate Up
CREATE INDEX accounts_email_key ON accounts (email_key);

-- +migrate Down
DROP INDEX accounts_email_key;
