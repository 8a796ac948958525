-- +migrate Up
CREATE TABLE readings (id INT PRIMARY KEY);
INSERT INTO readings VALUES (1), (2), (3);

-- +migrate Down
DROP TABLE readings;
