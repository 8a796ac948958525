-- +migrate Up
-- A schema change: outside a transaction on MySQL, each statement recorded.
CREATE TABLE counter (k INT NOT NULL);
INSERT INTO counter VALUES (1);

-- +migrate Down
DROP TABLE counter;
