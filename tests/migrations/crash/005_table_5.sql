-- +migrate Up
CREATE TABLE t_5 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_5 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_5_payload ON t_5 (payload);
INSERT INTO counter (migration) VALUES (5);

-- +migrate Down
DELETE FROM counter WHERE migration = 5;
DROP TABLE t_5;
