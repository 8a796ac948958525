-- +migrate Timeout 100ms
-- +migrate NoCheck counts to a hundred million on purpose, to be stopped at run time
-- +migrate Up
CREATE TABLE counted (n INTEGER);
INSERT INTO counted WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) SELECT count(*) FROM c;

-- +migrate Down
DROP TABLE counted;
