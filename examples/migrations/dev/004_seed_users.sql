-- Test data, applied only in the `dev` environment.
-- +migrate Up
INSERT INTO users (email) VALUES ('ada@example.com'), ('grace@example.com');

-- +migrate Down
DELETE FROM users WHERE email IN ('ada@example.com', 'grace@example.com');
