-- +migrate Up
-- No UNIQUE constraint: a migration that ran twice shows up as two rows.
CREATE TABLE counter (migration INTEGER NOT NULL);
INSERT INTO counter (migration) VALUES (1);

-- +migrate Down
DROP TABLE counter;
