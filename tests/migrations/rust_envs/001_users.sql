-- +migrate Up
CREATE TABLE users (
    id    INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT
);
INSERT INTO users (email) VALUES ('Ada@Example.com'), (' grace@example.COM');

-- +migrate Down
DROP TABLE users;
