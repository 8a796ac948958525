-- +migrate Up
CREATE TABLE t_15 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_15 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_15_payload ON t_15 (payload);
INSERT INTO counter (migration) VALUES (15);

-- +migrate Down
DELETE FROM counter WHERE migration = 15;
DROP TABLE t_15;
