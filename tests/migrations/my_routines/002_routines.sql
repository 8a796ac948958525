-- +migrate Up
DELIMITER $$
CREATE PROCEDURE credit(IN who INT, IN amount INT)
BEGIN
    UPDATE accounts SET balance = balance + amount WHERE id = who;
    INSERT INTO audit VALUES (who, CONCAT('credit ', amount));
END$$
CREATE TRIGGER accounts_created AFTER INSERT ON accounts
FOR EACH ROW
BEGIN
    IF NEW.balance > 0 THEN
        INSERT INTO audit VALUES (NEW.id, 'opened with a balance');
    END IF;
END$$
DELIMITER ;
INSERT INTO accounts VALUES (1, 5);
CALL credit(1, 10);

-- +migrate Down
DELETE FROM audit;
DELETE FROM accounts;
DROP TRIGGER accounts_created;
DROP PROCEDURE credit;
