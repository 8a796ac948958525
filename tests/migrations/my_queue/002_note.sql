-- +migrate Up
-- A plain ALTER: it needs the table's exclusive metadata lock for a moment,
-- and every query on the table queues behind it while it waits.
ALTER TABLE readings ADD COLUMN note TEXT;

-- +migrate Down
ALTER TABLE readings DROP COLUMN note;
