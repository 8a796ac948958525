-- +migrate Up
CREATE TABLE t_28 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (28);

-- +migrate Down
DELETE FROM counter WHERE migration = 28;
DROP TABLE t_28;
