-- +migrate Up
CREATE TABLE t_33 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_33 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_33_payload ON t_33 (payload);
INSERT INTO counter (migration) VALUES (33);

-- +migrate Down
DELETE FROM counter WHERE migration = 33;
DROP TABLE t_33;
