-- +migrate Up
CREATE INDEX users_email_key ON users (email_key);

-- +migrate Down
DROP INDEX users_email_key ON users;
