-- +migrate Up
CREATE TABLE ledger (id INT PRIMARY KEY, note VARCHAR(20) NOT NULL);

-- +migrate Down
DROP TABLE ledger;
