-- +migrate Up
CREATE TABLE t_39 (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);
INSERT INTO t_39 (payload)
    WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
    SELECT randomblob(200) FROM n;
CREATE INDEX t_39_payload ON t_39 (payload);
INSERT INTO counter (migration) VALUES (39);

-- +migrate Down
DELETE FROM counter WHERE migration = 39;
DROP TABLE t_39;
