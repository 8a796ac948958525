-- +migrate Up
CREATE INDXE a_x ON a (x);

-- +migrate Down
DROP INDEX a_x;
