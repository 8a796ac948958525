-- +migrate Up
INSERT INTO accounts (owner) VALUES ('ada');

INSERT INTO entries (account_id, amount, note) VALUES (1, 10, 'x');

-- +migrate Down
DELETE FROM accounts;
