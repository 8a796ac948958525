-- +migrate Up
-- Rows only: this one runs in a transaction.
INSERT INTO users (email) VALUES ('admin@example.com');

-- +migrate Down
DELETE FROM users WHERE email = 'admin@example.com';
