-- +migrate Up
CREATE TABLE t_29 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_29 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_29_payload ON t_29 (payload);
INSERT INTO counter (migration) VALUES (29);

-- +migrate Down
DELETE FROM counter WHERE migration = 29;
DROP TABLE t_29;
