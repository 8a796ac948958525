-- +migrate Up
CREATE TABLE t_47 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (47);

-- +migrate Down
DELETE FROM counter WHERE migration = 47;
DROP TABLE t_47;
