-- +migrate Up
CREATE TABLE t_39 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (39);

-- +migrate Down
DELETE FROM counter WHERE migration = 39;
DROP TABLE t_39;
