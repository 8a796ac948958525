-- +migrate Up
CREATE TABLE t_38 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (38);

-- +migrate Down
DELETE FROM counter WHERE migration = 38;
DROP TABLE t_38;
