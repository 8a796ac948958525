-- +migrate Up
CREATE TABLE t_50 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (50);

-- +migrate Down
DELETE FROM counter WHERE migration = 50;
DROP TABLE t_50;
