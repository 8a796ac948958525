-- +migrate Up
CREATE TABLE t_13 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_13 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_13_payload ON t_13 (payload);
INSERT INTO counter (migration) VALUES (13);

-- +migrate Down
DELETE FROM counter WHERE migration = 13;
DROP TABLE t_13;
