-- +migrate ForeignKeys off
-- SQLite's table rebuild: new table, copy, drop, rename.
-- +migrate Up
CREATE TABLE parents_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO parents_new (id, name) SELECT id, coalesce(name, '') FROM parents WHERE id <> 2;
DROP TABLE parents;
ALTER TABLE parents_new RENAME TO parents;

-- +migrate Down irreversible
