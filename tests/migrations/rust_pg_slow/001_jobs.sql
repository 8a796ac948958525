-- +migrate Up
CREATE TABLE jobs (id INTEGER PRIMARY KEY);

-- +migrate Down
DROP TABLE jobs;
