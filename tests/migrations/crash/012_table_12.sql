-- +migrate Up
CREATE TABLE t_12 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_12 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_12_payload ON t_12 (payload);
INSERT INTO counter (migration) VALUES (12);

-- +migrate Down
DELETE FROM counter WHERE migration = 12;
DROP TABLE t_12;
