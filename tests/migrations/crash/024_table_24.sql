-- +migrate Up
CREATE TABLE t_24 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_24 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_24_payload ON t_24 (payload);
INSERT INTO counter (migration) VALUES (24);

-- +migrate Down
DELETE FROM counter WHERE migration = 24;
DROP TABLE t_24;
