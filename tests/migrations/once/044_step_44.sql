-- +migrate Up
CREATE TABLE t_44 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (44);

-- +migrate Down
DELETE FROM counter WHERE migration = 44;
DROP TABLE t_44;
