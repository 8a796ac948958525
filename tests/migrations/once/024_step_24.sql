-- +migrate Up
CREATE TABLE t_24 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (24);

-- +migrate Down
DELETE FROM counter WHERE migration = 24;
DROP TABLE t_24;
