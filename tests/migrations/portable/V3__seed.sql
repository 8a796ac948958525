INSERT INTO users (id, name) VALUES (1, 'ada');
INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello');
