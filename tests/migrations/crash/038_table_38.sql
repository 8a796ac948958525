-- +migrate Up
CREATE TABLE t_38 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_38 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_38_payload ON t_38 (payload);
INSERT INTO counter (migration) VALUES (38);

-- +migrate Down
DELETE FROM counter WHERE migration = 38;
DROP TABLE t_38;
