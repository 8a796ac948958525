-- +migrate Up
CREATE TABLE t_31 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_31 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_31_payload ON t_31 (payload);
INSERT INTO counter (migration) VALUES (31);

-- +migrate Down
DELETE FROM counter WHERE migration = 31;
DROP TABLE t_31;
