-- +migrate Up
-- +migrate Allow index-not-concurrently the table is new in this release: nobody writes to it yet
CREATE INDEX users_email_key ON users (email_key);

-- +migrate Down
DROP INDEX users_email_key;
