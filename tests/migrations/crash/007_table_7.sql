-- +migrate Up
CREATE TABLE t_7 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_7 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_7_payload ON t_7 (payload);
INSERT INTO counter (migration) VALUES (7);

-- +migrate Down
DELETE FROM counter WHERE migration = 7;
DROP TABLE t_7;
