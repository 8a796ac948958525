-- +migrate Up
CREATE TABLE t_26 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_26 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_26_payload ON t_26 (payload);
INSERT INTO counter (migration) VALUES (26);

-- +migrate Down
DELETE FROM counter WHERE migration = 26;
DROP TABLE t_26;
