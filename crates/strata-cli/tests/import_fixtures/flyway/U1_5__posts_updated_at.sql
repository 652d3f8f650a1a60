DROP TRIGGER posts_touch ON posts;
ALTER TABLE posts DROP COLUMN updated_at;
