-- +migrate Up
CREATE TABLE t_4 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_4 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_4_payload ON t_4 (payload);
INSERT INTO counter (migration) VALUES (4);

-- +migrate Down
DELETE FROM counter WHERE migration = 4;
DROP TABLE t_4;
