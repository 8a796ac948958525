-- +migrate Up
CREATE TABLE t_2 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_2 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_2_payload ON t_2 (payload);
INSERT INTO counter (migration) VALUES (2);

-- +migrate Down
DELETE FROM counter WHERE migration = 2;
DROP TABLE t_2;
