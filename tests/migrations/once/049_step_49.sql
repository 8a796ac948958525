-- +migrate Up
CREATE TABLE t_49 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (49);

-- +migrate Down
DELETE FROM counter WHERE migration = 49;
DROP TABLE t_49;
