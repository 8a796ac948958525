-- +migrate Up
CREATE TABLE t_14 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (14);

-- +migrate Down
DELETE FROM counter WHERE migration = 14;
DROP TABLE t_14;
