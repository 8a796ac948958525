-- +migrate Up
CREATE TABLE t_42 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (42);

-- +migrate Down
DELETE FROM counter WHERE migration = 42;
DROP TABLE t_42;
