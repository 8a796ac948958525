-- +migrate Up
CREATE TABLE t_11 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_11 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_11_payload ON t_11 (payload);
INSERT INTO counter (migration) VALUES (11);

-- +migrate Down
DELETE FROM counter WHERE migration = 11;
DROP TABLE t_11;
