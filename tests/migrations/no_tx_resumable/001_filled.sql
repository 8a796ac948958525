-- +migrate Up
-- One row per number; `times` counts the statements that wrote it.
CREATE TABLE filled (n INTEGER PRIMARY KEY, times INTEGER NOT NULL DEFAULT 1);

-- +migrate Down
DROP TABLE filled;
