-- Revert fixture:posts_updated_at from pg

BEGIN;

DROP TRIGGER posts_touch ON posts;
ALTER TABLE posts DROP COLUMN updated_at;

COMMIT;
