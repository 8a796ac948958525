-- +migrate Up
CREATE TABLE t_48 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (48);

-- +migrate Down
DELETE FROM counter WHERE migration = 48;
DROP TABLE t_48;
