-- +migrate Up
CREATE TABLE slow (x INTEGER);

-- +migrate Down
DROP TABLE slow;
