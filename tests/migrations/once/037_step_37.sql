-- +migrate Up
CREATE TABLE t_37 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (37);

-- +migrate Down
DELETE FROM counter WHERE migration = 37;
DROP TABLE t_37;
