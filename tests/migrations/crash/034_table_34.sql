-- +migrate Up
CREATE TABLE t_34 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_34 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_34_payload ON t_34 (payload);
INSERT INTO counter (migration) VALUES (34);

-- +migrate Down
DELETE FROM counter WHERE migration = 34;
DROP TABLE t_34;
