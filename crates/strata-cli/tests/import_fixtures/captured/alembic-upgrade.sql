BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> r01

-- Settings: key/value pairs; the first migration has no down.
CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO settings VALUES ('a;b', 'it''s; fine'), ('c', $$dollar; quoted$$);;

INSERT INTO alembic_version (version_num) VALUES ('r01') RETURNING alembic_version.version_num;

-- Running upgrade r01 -> r02

-- The people who post.
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL
);;

UPDATE alembic_version SET version_num='r02' WHERE alembic_version.version_num = 'r01';

-- Running upgrade r02 -> r03

CREATE TABLE posts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    body text NOT NULL DEFAULT ';'
);;

UPDATE alembic_version SET version_num='r03' WHERE alembic_version.version_num = 'r02';

-- Running upgrade r03 -> r04

CREATE FUNCTION touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now(); -- a semicolon; inside
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;;

UPDATE alembic_version SET version_num='r04' WHERE alembic_version.version_num = 'r03';

-- Running upgrade r04 -> r05

ALTER TABLE posts ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();;

UPDATE alembic_version SET version_num='r05' WHERE alembic_version.version_num = 'r04';

-- Running upgrade r05 -> r06

COMMIT;

CREATE INDEX CONCURRENTLY posts_user_id_idx ON posts (user_id);

BEGIN;

UPDATE alembic_version SET version_num='r06' WHERE alembic_version.version_num = 'r05';

-- Running upgrade r06 -> r09

INSERT INTO settings (key, value) VALUES ('semi;colon', E'line1;\nline2'), ('quote', 'it''s');;

UPDATE alembic_version SET version_num='r09' WHERE alembic_version.version_num = 'r06';

-- Running upgrade r06 -> r07

CREATE TYPE post_state AS ENUM ('draft', 'published');
ALTER TABLE posts ADD COLUMN state post_state NOT NULL DEFAULT 'draft';;

INSERT INTO alembic_version (version_num) VALUES ('r07') RETURNING alembic_version.version_num;

-- Running upgrade r07 -> r08

CREATE VIEW published_posts AS
    SELECT id, user_id FROM posts WHERE state = 'published';;

UPDATE alembic_version SET version_num='r08' WHERE alembic_version.version_num = 'r07';

-- Running upgrade r08, r09 -> r10

DELETE FROM alembic_version WHERE alembic_version.version_num = 'r08';

UPDATE alembic_version SET version_num='r10' WHERE alembic_version.version_num = 'r09';

-- Running upgrade r10 -> r11

COMMENT ON TABLE users IS 'people; who post';
ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (position('@' in email) > 0);;

UPDATE alembic_version SET version_num='r11' WHERE alembic_version.version_num = 'r10';

COMMIT;

