-- +migrate Up
CREATE TABLE t_26 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (26);

-- +migrate Down
DELETE FROM counter WHERE migration = 26;
DROP TABLE t_26;
