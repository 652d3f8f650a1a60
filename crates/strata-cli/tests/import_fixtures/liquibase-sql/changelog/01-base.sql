--liquibase formatted sql

--changeset fixture:1
--comment: settings
-- Settings: key/value pairs; the first migration has no down.
CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO settings VALUES ('a;b', 'it''s; fine'), ('c', $$dollar; quoted$$);

--changeset fixture:2
--comment: create users
-- The people who post.
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL
);
--rollback DROP TABLE users;

--changeset fixture:3
--comment: create posts
CREATE TABLE posts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    body text NOT NULL DEFAULT ';'
);
--rollback DROP TABLE posts;

--changeset fixture:4
--comment: touch function
CREATE FUNCTION touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now(); -- a semicolon; inside
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--rollback DROP FUNCTION touch_updated_at();

--changeset fixture:5
--comment: posts updated at
ALTER TABLE posts ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
--rollback DROP TRIGGER posts_touch ON posts;
--rollback ALTER TABLE posts DROP COLUMN updated_at;

--changeset fixture:6 runInTransaction:false
--comment: posts user index
CREATE INDEX CONCURRENTLY posts_user_id_idx ON posts (user_id);
--rollback DROP INDEX CONCURRENTLY posts_user_id_idx;
