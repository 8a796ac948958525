-- Users of the application.
-- +migrate Up
CREATE TABLE users (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE
);

-- +migrate Down
DROP TABLE users;
