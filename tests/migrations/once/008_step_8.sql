-- +migrate Up
CREATE TABLE t_8 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (8);

-- +migrate Down
DELETE FROM counter WHERE migration = 8;
DROP TABLE t_8;
