-- +migrate Up
CREATE TABLE t_37 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_37 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_37_payload ON t_37 (payload);
INSERT INTO counter (migration) VALUES (37);

-- +migrate Down
DELETE FROM counter WHERE migration = 37;
DROP TABLE t_37;
