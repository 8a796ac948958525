-- +migrate Up
INSERT INTO accounts (id, email) VALUES (1, 'ada@example.com');

-- +migrate Down
DELETE FROM accounts WHERE id = 1;
