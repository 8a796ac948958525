-- +migrate Up
INSERT INTO accounts (owner) VALUES ('test-user');

-- +migrate Down
DELETE FROM accounts WHERE owner = 'test-user';
