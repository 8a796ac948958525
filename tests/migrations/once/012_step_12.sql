-- +migrate Up
CREATE TABLE t_12 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (12);

-- +migrate Down
DELETE FROM counter WHERE migration = 12;
DROP TABLE t_12;
