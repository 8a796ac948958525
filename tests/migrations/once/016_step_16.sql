-- +migrate Up
CREATE TABLE t_16 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (16);

-- +migrate Down
DELETE FROM counter WHERE migration = 16;
DROP TABLE t_16;
