-- +migrate Up
CREATE TABLE t_9 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (9);

-- +migrate Down
DELETE FROM counter WHERE migration = 9;
DROP TABLE t_9;
