-- +migrate Up
CREATE TABLE t_10 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_10 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_10_payload ON t_10 (payload);
INSERT INTO counter (migration) VALUES (10);

-- +migrate Down
DELETE FROM counter WHERE migration = 10;
DROP TABLE t_10;
