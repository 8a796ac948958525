-- +migrate Up
CREATE TABLE t_36 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_36 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_36_payload ON t_36 (payload);
INSERT INTO counter (migration) VALUES (36);

-- +migrate Down
DELETE FROM counter WHERE migration = 36;
DROP TABLE t_36;
