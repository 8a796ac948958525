-- +migrate Up
DELETE FROM accounts WHERE owner = 'nobody';

-- +migrate Down irreversible
