-- +goose Up
CREATE TYPE post_state AS ENUM ('draft', 'published');
ALTER TABLE posts ADD COLUMN state post_state NOT NULL DEFAULT 'draft';

-- +goose Down
ALTER TABLE posts DROP COLUMN state;
DROP TYPE post_state;
