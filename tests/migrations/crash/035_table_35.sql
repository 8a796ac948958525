-- +migrate Up
CREATE TABLE t_35 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_35 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_35_payload ON t_35 (payload);
INSERT INTO counter (migration) VALUES (35);

-- +migrate Down
DELETE FROM counter WHERE migration = 35;
DROP TABLE t_35;
