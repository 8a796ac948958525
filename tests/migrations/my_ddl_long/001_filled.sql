-- +migrate Up
-- One row per INSERT that ran, one table per CREATE TABLE.
CREATE TABLE filled (n INT NOT NULL);

-- +migrate Down
DROP TABLE filled;
