-- +migrate Up
CREATE TABLE t_34 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (34);

-- +migrate Down
DELETE FROM counter WHERE migration = 34;
DROP TABLE t_34;
