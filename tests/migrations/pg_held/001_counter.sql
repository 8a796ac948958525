-- +migrate Up
-- One row per migration run: a migration run twice shows its number twice.
CREATE TABLE counter (k INTEGER NOT NULL);

-- +migrate Down
DROP TABLE counter;
