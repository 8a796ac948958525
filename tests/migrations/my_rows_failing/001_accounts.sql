-- +migrate Up
CREATE TABLE accounts (id INT PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE);

-- +migrate Down
DROP TABLE accounts;
