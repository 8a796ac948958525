-- +migrate Up
-- One row per migration applied: a migration applied twice shows as two rows.
CREATE TABLE counter (migration INTEGER NOT NULL);
CREATE TABLE t_1 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO counter (migration) VALUES (1);

-- +migrate Down
DROP TABLE t_1;
DROP TABLE counter;
