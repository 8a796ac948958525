-- +migrate Up
CREATE TABLE t_23 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_23 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_23_payload ON t_23 (payload);
INSERT INTO counter (migration) VALUES (23);

-- +migrate Down
DELETE FROM counter WHERE migration = 23;
DROP TABLE t_23;
