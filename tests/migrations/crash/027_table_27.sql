-- +migrate Up
CREATE TABLE t_27 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_27 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_27_payload ON t_27 (payload);
INSERT INTO counter (migration) VALUES (27);

-- +migrate Down
DELETE FROM counter WHERE migration = 27;
DROP TABLE t_27;
