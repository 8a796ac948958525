-- +migrate NoTransaction
-- +migrate Up
-- Waits for the transactions before it to end, while queries on the table go on.
CREATE INDEX CONCURRENTLY readings_note ON readings (note);

-- +migrate Down
DROP INDEX CONCURRENTLY readings_note;
