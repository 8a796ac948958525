-- +migrate Up
INSERT INTO accounts (email) VALUES ('ada@example.com');
INSERT INTO entries (account_id, amount) SELECT id, 12.50 FROM accounts;

-- +migrate Down
DELETE FROM accounts WHERE email = 'ada@example.com';
