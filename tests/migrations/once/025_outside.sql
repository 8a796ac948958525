-- +migrate NoTransaction
-- +migrate Up
-- Outside a transaction: nothing but the migration lock keeps a second
-- process from running it too.
INSERT INTO counter (migration) VALUES (25);
CREATE INDEX counter_migration ON counter (migration);

-- +migrate Down
DROP INDEX counter_migration;
DELETE FROM counter WHERE migration = 25;
