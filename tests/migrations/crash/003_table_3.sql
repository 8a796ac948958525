-- +migrate Up
CREATE TABLE t_3 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_3 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_3_payload ON t_3 (payload);
INSERT INTO counter (migration) VALUES (3);

-- +migrate Down
DELETE FROM counter WHERE migration = 3;
DROP TABLE t_3;
