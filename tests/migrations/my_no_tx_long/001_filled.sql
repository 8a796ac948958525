-- +migrate Up
-- One row per INSERT that ran: a migration run twice shows more rows than its statements.
CREATE TABLE filled (n INT NOT NULL);

-- +migrate Down
DROP TABLE filled;
