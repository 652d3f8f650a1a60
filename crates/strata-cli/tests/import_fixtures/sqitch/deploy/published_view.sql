-- Deploy fixture:published_view to pg

BEGIN;

CREATE VIEW published_posts AS
    SELECT id, user_id FROM posts WHERE state = 'published';

COMMIT;
