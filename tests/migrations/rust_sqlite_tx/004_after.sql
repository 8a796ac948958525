-- +migrate Up
CREATE TABLE after_four (x INTEGER);

-- +migrate Down
DROP TABLE after_four;
