-- Revert fixture:published_view from pg

BEGIN;

DROP VIEW published_posts;

COMMIT;
