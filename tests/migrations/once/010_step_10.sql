-- +migrate Up
CREATE TABLE t_10 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (10);

-- +migrate Down
DELETE FROM counter WHERE migration = 10;
DROP TABLE t_10;
