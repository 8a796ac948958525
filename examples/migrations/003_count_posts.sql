-- A denormalised post count, kept up to date by triggers.
-- +migrate Up
ALTER TABLE users ADD COLUMN post_count INTEGER NOT NULL DEFAULT 0;
-- The posts written before this migration count too (the migration-path
-- test in tests/migration_path.rs found them missing).
UPDATE users SET post_count = (SELECT count(*) FROM posts WHERE posts.user_id = users.id);

-- +migrate StatementBegin
CREATE TRIGGER posts_count_insert AFTER INSERT ON posts BEGIN
    UPDATE users SET post_count = post_count + 1 WHERE id = NEW.user_id;
END;
-- +migrate StatementEnd

-- The splitter keeps a trigger body whole without StatementBegin too.
CREATE TRIGGER posts_count_delete AFTER DELETE ON posts BEGIN
    UPDATE users SET post_count = post_count - 1 WHERE id = OLD.user_id;
END;

-- +migrate Down
DROP TRIGGER posts_count_delete;
DROP TRIGGER posts_count_insert;
ALTER TABLE users DROP COLUMN post_count;
