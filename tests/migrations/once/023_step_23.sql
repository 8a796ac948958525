-- +migrate Up
CREATE TABLE t_23 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (23);

-- +migrate Down
DELETE FROM counter WHERE migration = 23;
DROP TABLE t_23;
