-- +migrate Up
CREATE TABLE t_8 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_8 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_8_payload ON t_8 (payload);
INSERT INTO counter (migration) VALUES (8);

-- +migrate Down
DELETE FROM counter WHERE migration = 8;
DROP TABLE t_8;
