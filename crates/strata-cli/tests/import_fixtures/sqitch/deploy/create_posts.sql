-- Deploy fixture:create_posts to pg

BEGIN;

CREATE TABLE posts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    body text NOT NULL DEFAULT ';'
);

COMMIT;
