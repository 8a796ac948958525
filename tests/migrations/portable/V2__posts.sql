-- each post belongs to a user
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, title VARCHAR(200));
CREATE INDEX posts_by_user ON posts (user_id);
