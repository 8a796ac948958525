-- +migrate Up
CREATE TABLE a (x INTEGER);

-- +migrate Down
DROP TABLE a;
