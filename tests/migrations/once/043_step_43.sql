-- +migrate Up
CREATE TABLE t_43 (id INTEGER PRIMARY KEY);
INSERT INTO counter (migration) VALUES (43);

-- +migrate Down
DELETE FROM counter WHERE migration = 43;
DROP TABLE t_43;
