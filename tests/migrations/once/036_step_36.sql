-- +migrate Up
CREATE TABLE t_36 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (36);

-- +migrate Down
DELETE FROM counter WHERE migration = 36;
DROP TABLE t_36;
