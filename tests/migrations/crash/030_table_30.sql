-- +migrate Up
CREATE TABLE t_30 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_30 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_30_payload ON t_30 (payload);
INSERT INTO counter (migration) VALUES (30);

-- +migrate Down
DELETE FROM counter WHERE migration = 30;
DROP TABLE t_30;
