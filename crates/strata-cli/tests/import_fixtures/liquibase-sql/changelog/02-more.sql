--liquibase formatted sql

--changeset fixture:7
--comment: post state
CREATE TYPE post_state AS ENUM ('draft', 'published');
ALTER TABLE posts ADD COLUMN state post_state NOT NULL DEFAULT 'draft';
--rollback ALTER TABLE posts DROP COLUMN state;
--rollback DROP TYPE post_state;

--changeset fixture:8
--comment: published view
CREATE VIEW published_posts AS
    SELECT id, user_id FROM posts WHERE state = 'published';
--rollback DROP VIEW published_posts;

--changeset fixture:9
--comment: more settings
INSERT INTO settings (key, value) VALUES ('semi;colon', E'line1;\nline2'), ('quote', 'it''s');
--rollback DELETE FROM settings WHERE key IN ('semi;colon', 'quote');

--changeset fixture:10
--comment: comment users
COMMENT ON TABLE users IS 'people; who post';
--rollback COMMENT ON TABLE users IS NULL;

--changeset fixture:11
--comment: email check
ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (position('@' in email) > 0);
--rollback ALTER TABLE users DROP CONSTRAINT users_email_check;
