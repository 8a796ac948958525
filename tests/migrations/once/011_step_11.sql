-- +migrate Up
CREATE TABLE t_11 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (11);

-- +migrate Down
DELETE FROM counter WHERE migration = 11;
DROP TABLE t_11;
