-- +migrate Up
CREATE TABLE t_40 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (40);

-- +migrate Down
DELETE FROM counter WHERE migration = 40;
DROP TABLE t_40;
