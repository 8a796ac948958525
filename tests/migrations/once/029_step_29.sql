-- +migrate Up
CREATE TABLE t_29 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (29);

-- +migrate Down
DELETE FROM counter WHERE migration = 29;
DROP TABLE t_29;
