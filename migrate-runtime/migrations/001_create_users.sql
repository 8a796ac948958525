-- The set the crate documentation's first example embeds.
-- +migrate Up
CREATE TABLE users (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE
);

-- +migrate Down
DROP TABLE users;
