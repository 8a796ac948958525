-- +migrate Up
CREATE TABLE t_35 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (35);

-- +migrate Down
DELETE FROM counter WHERE migration = 35;
DROP TABLE t_35;
