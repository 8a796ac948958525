-- +migrate Up
CREATE TABLE t_5 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (5);

-- +migrate Down
DELETE FROM counter WHERE migration = 5;
DROP TABLE t_5;
