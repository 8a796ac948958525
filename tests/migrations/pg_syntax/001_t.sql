-- +migrate Up
CREATE TABLE t (
    id INTEGER,
    name TEXT NOT NUL
);

-- +migrate Down
DROP TABLE t;
