-- +migrate Up
CREATE TABLE t_22 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (22);

-- +migrate Down
DELETE FROM counter WHERE migration = 22;
DROP TABLE t_22;
