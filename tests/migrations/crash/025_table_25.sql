-- +migrate Up
CREATE TABLE t_25 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_25 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_25_payload ON t_25 (payload);
INSERT INTO counter (migration) VALUES (25);

-- +migrate Down
DELETE FROM counter WHERE migration = 25;
DROP TABLE t_25;
