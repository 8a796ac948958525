-- +migrate Up
CREATE TABLE t_20 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_20 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_20_payload ON t_20 (payload);
INSERT INTO counter (migration) VALUES (20);

-- +migrate Down
DELETE FROM counter WHERE migration = 20;
DROP TABLE t_20;
