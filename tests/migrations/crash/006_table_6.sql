-- +migrate Up
CREATE TABLE t_6 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_6 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_6_payload ON t_6 (payload);
INSERT INTO counter (migration) VALUES (6);

-- +migrate Down
DELETE FROM counter WHERE migration = 6;
DROP TABLE t_6;
