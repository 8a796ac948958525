-- +migrate Up
CREATE TABLE t_46 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (46);

-- +migrate Down
DELETE FROM counter WHERE migration = 46;
DROP TABLE t_46;
