-- +migrate Up
INSERT INTO accounts (id, email) VALUES (1, 'ada@example.com');
INSERT INTO entries (id, account_id, amount) VALUES (1, 1, 1300);

-- +migrate Down
DELETE FROM entries WHERE id = 1;
DELETE FROM accounts WHERE id = 1;
