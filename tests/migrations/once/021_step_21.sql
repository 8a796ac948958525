-- +migrate Up
CREATE TABLE t_21 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (21);

-- +migrate Down
DELETE FROM counter WHERE migration = 21;
DROP TABLE t_21;
