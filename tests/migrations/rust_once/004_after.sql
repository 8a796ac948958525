-- +migrate Up
CREATE TABLE t_4 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (4);

-- +migrate Down
DELETE FROM counter WHERE migration = 4;
DROP TABLE t_4;
