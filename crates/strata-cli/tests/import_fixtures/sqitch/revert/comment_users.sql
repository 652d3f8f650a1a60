-- Revert fixture:comment_users from pg

BEGIN;

COMMENT ON TABLE users IS NULL;

COMMIT;
