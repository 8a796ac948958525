-- +migrate Up
-- A plain ALTER: it needs the table's ACCESS EXCLUSIVE lock for a moment.
ALTER TABLE readings ADD COLUMN note text;

-- +migrate Down
ALTER TABLE readings DROP COLUMN note;
