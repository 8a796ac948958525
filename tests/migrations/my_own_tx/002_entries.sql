-- +migrate NoTransaction
-- +migrate Up
-- Transactions of the file's own: one committed, one rolled back, then a
-- row outside any; each end of a transaction ends it and nothing else.
START TRANSACTION;
INSERT INTO ledger VALUES (1, 'committed');
COMMIT;
START TRANSACTION;
INSERT INTO ledger VALUES (2, 'rolled back');
ROLLBACK;
INSERT INTO ledger VALUES (3, 'autocommit');

-- +migrate Down
DELETE FROM ledger WHERE id IN (1, 3);
