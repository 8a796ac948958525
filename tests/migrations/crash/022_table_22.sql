-- +migrate Up
CREATE TABLE t_22 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_22 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_22_payload ON t_22 (payload);
INSERT INTO counter (migration) VALUES (22);

-- +migrate Down
DELETE FROM counter WHERE migration = 22;
DROP TABLE t_22;
