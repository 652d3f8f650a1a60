-- Revert fixture:create_posts from pg

BEGIN;

DROP TABLE posts;

COMMIT;
