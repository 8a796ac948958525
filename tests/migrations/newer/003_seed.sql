-- +migrate Up
INSERT INTO accounts (owner) VALUES ('ada'), ('grace');
INSERT INTO entries (account_id, amount) VALUES (1, 10), (1, 20), (2, 5);

-- +migrate Down
DELETE FROM entries;
DELETE FROM accounts;
