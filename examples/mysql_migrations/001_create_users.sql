-- +migrate Up
-- A schema change: on MySQL it commits by itself, so this migration runs
-- outside a transaction, each statement recorded as done.
CREATE TABLE users (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    email VARCHAR(255) NOT NULL UNIQUE
);

-- +migrate Down
DROP TABLE users;
