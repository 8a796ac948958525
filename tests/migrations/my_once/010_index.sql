-- +migrate Up
CREATE INDEX counter_k ON counter (k);
INSERT INTO counter VALUES (10);

-- +migrate Down
DELETE FROM counter WHERE k = 10;
DROP INDEX counter_k ON counter;
