-- +migrate NoTransaction
-- +migrate Up
CREATE TABLE b (x INTEGER);
INSERT INTO missing VALUES (1);

-- +migrate Down
DROP TABLE b;
