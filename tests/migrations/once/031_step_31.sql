-- +migrate Up
CREATE TABLE t_31 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (31);

-- +migrate Down
DELETE FROM counter WHERE migration = 31;
DROP TABLE t_31;
