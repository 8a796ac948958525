-- +migrate Up
-- A procedure that commits inside: called, its COMMIT ends its transaction
-- and nothing else.
DELIMITER $$
CREATE PROCEDURE settle(IN n INT)
BEGIN
    START TRANSACTION;
    INSERT INTO ledger VALUES (n, 'settled');
    COMMIT;
END$$
DELIMITER ;
CALL settle(4);

-- +migrate Down
DELETE FROM ledger WHERE id = 4;
DROP PROCEDURE settle;
