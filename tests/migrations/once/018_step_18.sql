-- +migrate Up
CREATE TABLE t_18 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (18);

-- +migrate Down
DELETE FROM counter WHERE migration = 18;
DROP TABLE t_18;
