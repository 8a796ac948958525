-- +migrate Up
CREATE TABLE t_32 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (32);

-- +migrate Down
DELETE FROM counter WHERE migration = 32;
DROP TABLE t_32;
