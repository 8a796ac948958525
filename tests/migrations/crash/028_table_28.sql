-- +migrate Up
CREATE TABLE t_28 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_28 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_28_payload ON t_28 (payload);
INSERT INTO counter (migration) VALUES (28);

-- +migrate Down
DELETE FROM counter WHERE migration = 28;
DROP TABLE t_28;
