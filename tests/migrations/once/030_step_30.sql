-- +migrate Up
CREATE TABLE t_30 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (30);

-- +migrate Down
DELETE FROM counter WHERE migration = 30;
DROP TABLE t_30;
