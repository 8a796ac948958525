-- +migrate Up
CREATE TABLE t_45 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (45);

-- +migrate Down
DELETE FROM counter WHERE migration = 45;
DROP TABLE t_45;
