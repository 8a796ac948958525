-- +migrate Up
CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO accounts (email) VALUES ('ada@example.com');

-- +migrate Down
DROP TABLE accounts;
