-- Deploy fixture:comment_users to pg

BEGIN;

COMMENT ON TABLE users IS 'people; who post';

COMMIT;
