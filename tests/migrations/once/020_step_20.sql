-- +migrate Up
CREATE TABLE t_20 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (20);

-- +migrate Down
DELETE FROM counter WHERE migration = 20;
DROP TABLE t_20;
