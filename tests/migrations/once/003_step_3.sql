-- +migrate Up
CREATE TABLE t_3 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (3);

-- +migrate Down
DELETE FROM counter WHERE migration = 3;
DROP TABLE t_3;
