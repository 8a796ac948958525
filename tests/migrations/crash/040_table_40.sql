-- +migrate Up
CREATE TABLE t_40 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_40 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_40_payload ON t_40 (payload);
INSERT INTO counter (migration) VALUES (40);

-- +migrate Down
DELETE FROM counter WHERE migration = 40;
DROP TABLE t_40;
