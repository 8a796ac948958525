-- +migrate Up
CREATE TABLE t_2 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (2);

-- +migrate Down
DELETE FROM counter WHERE migration = 2;
DROP TABLE t_2;
