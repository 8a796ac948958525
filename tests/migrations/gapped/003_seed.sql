-- +migrate Up
INSERT INTO accounts (owner) VALUES ('ada');

-- +migrate Down
DELETE FROM accounts;
