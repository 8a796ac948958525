-- +migrate Up
CREATE TABLE t_18 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_18 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_18_payload ON t_18 (payload);
INSERT INTO counter (migration) VALUES (18);

-- +migrate Down
DELETE FROM counter WHERE migration = 18;
DROP TABLE t_18;
