-- +migrate Up
CREATE TABLE t_17 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (17);

-- +migrate Down
DELETE FROM counter WHERE migration = 17;
DROP TABLE t_17;
