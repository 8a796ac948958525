-- +migrate Up
CREATE TABLE audit (id INT PRIMARY KEY, note TEXT);
INSERT INTO nowhere (id) VALUES (1);

-- +migrate Down
DROP TABLE audit;
