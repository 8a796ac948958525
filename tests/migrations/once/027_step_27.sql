-- +migrate Up
CREATE TABLE t_27 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (27);

-- +migrate Down
DELETE FROM counter WHERE migration = 27;
DROP TABLE t_27;
