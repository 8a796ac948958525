-- +migrate Up
INSERT INTO accounts (id, email) VALUES (2, 'grace@example.com');
INSERT INTO nowhere (id) VALUES (1);

-- +migrate Down
DELETE FROM accounts WHERE id = 2;
