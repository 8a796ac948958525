-- +migrate Up
CREATE TABLE t_7 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (7);

-- +migrate Down
DELETE FROM counter WHERE migration = 7;
DROP TABLE t_7;
