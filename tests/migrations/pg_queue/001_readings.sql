-- +migrate Up
CREATE TABLE readings (id integer PRIMARY KEY);
INSERT INTO readings SELECT generate_series(1, 100);
-- One row per statement run outside a transaction: a statement run twice shows twice.
CREATE TABLE log (k integer NOT NULL);

-- +migrate Down
DROP TABLE log;
DROP TABLE readings;
