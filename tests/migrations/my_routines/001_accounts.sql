-- +migrate Up
CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL DEFAULT 0);
CREATE TABLE audit (account_id INT NOT NULL, note VARCHAR(100) NOT NULL);

-- +migrate Down
DROP TABLE audit;
DROP TABLE accounts;
