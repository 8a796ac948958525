-- +migrate Up
CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(200) NOT NULL, email_key VARCHAR(200) NULL);

-- +migrate Down
DROP TABLE users;
