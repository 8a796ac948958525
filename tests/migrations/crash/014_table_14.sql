-- +migrate Up
CREATE TABLE t_14 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_14 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_14_payload ON t_14 (payload);
INSERT INTO counter (migration) VALUES (14);

-- +migrate Down
DELETE FROM counter WHERE migration = 14;
DROP TABLE t_14;
