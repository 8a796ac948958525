-- +migrate Up
CREATE TABLE t_19 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (19);

-- +migrate Down
DELETE FROM counter WHERE migration = 19;
DROP TABLE t_19;
