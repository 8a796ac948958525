-- +migrate Up
CREATE TABLE t_19 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_19 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_19_payload ON t_19 (payload);
INSERT INTO counter (migration) VALUES (19);

-- +migrate Down
DELETE FROM counter WHERE migration = 19;
DROP TABLE t_19;
