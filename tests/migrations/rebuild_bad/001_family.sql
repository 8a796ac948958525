-- +migrate Up
CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE children (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER NOT NULL REFERENCES parents (id) ON DELETE CASCADE
);
INSERT INTO parents VALUES (1, 'a'), (2, 'b');
INSERT INTO children VALUES (10, 1), (11, 1), (12, 2);

-- +migrate Down
DROP TABLE children;
DROP TABLE parents;
