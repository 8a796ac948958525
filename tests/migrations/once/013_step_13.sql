-- +migrate Up
CREATE TABLE t_13 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (13);

-- +migrate Down
DELETE FROM counter WHERE migration = 13;
DROP TABLE t_13;
