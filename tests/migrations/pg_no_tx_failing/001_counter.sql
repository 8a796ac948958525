-- +migrate Up
CREATE TABLE counter (k INTEGER NOT NULL);
INSERT INTO counter VALUES (1);

-- +migrate Down
DROP TABLE counter;
