-- +migrate Up
CREATE TABLE t_16 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_16 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_16_payload ON t_16 (payload);
INSERT INTO counter (migration) VALUES (16);

-- +migrate Down
DELETE FROM counter WHERE migration = 16;
DROP TABLE t_16;
