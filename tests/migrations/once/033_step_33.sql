-- +migrate Up
CREATE TABLE t_33 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (33);

-- +migrate Down
DELETE FROM counter WHERE migration = 33;
DROP TABLE t_33;
