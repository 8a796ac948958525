-- +migrate Up
CREATE TABLE t_32 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_32 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_32_payload ON t_32 (payload);
INSERT INTO counter (migration) VALUES (32);

-- +migrate Down
DELETE FROM counter WHERE migration = 32;
DROP TABLE t_32;
