-- Deploy fixture:posts_user_index to pg

CREATE INDEX CONCURRENTLY posts_user_id_idx ON posts (user_id);
