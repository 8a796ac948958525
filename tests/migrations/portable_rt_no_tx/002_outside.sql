-- +migrate NoTransaction
-- +migrate Up
CREATE TABLE b (x INTEGER);
INSERT INTO nowhere (id) VALUES (1);

-- +migrate Down
DROP TABLE b;
