-- +migrate Up
CREATE TABLE t_15 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (15);

-- +migrate Down
DELETE FROM counter WHERE migration = 15;
DROP TABLE t_15;
