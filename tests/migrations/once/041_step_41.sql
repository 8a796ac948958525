-- +migrate Up
CREATE TABLE t_41 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (41);

-- +migrate Down
DELETE FROM counter WHERE migration = 41;
DROP TABLE t_41;
