-- +migrate Up
CREATE TABLE t_6 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (6);

-- +migrate Down
DELETE FROM counter WHERE migration = 6;
DROP TABLE t_6;
