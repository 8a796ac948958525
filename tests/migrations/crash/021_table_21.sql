-- +migrate Up
CREATE TABLE t_21 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_21 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_21_payload ON t_21 (payload);
INSERT INTO counter (migration) VALUES (21);

-- +migrate Down
DELETE FROM counter WHERE migration = 21;
DROP TABLE t_21;
