-- Deploy fixture:create_users to pg

BEGIN;

-- The people who post.
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL
);

COMMIT;
