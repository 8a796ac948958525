-- +migrate Up
CREATE TABLE t_9 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_9 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_9_payload ON t_9 (payload);
INSERT INTO counter (migration) VALUES (9);

-- +migrate Down
DELETE FROM counter WHERE migration = 9;
DROP TABLE t_9;
