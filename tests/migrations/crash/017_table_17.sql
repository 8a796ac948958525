-- +migrate Up
CREATE TABLE t_17 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_17 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_17_payload ON t_17 (payload);
INSERT INTO counter (migration) VALUES (17);

-- +migrate Down
DELETE FROM counter WHERE migration = 17;
DROP TABLE t_17;
