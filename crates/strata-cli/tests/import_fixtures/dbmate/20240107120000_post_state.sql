-- migrate:up
CREATE TYPE post_state AS ENUM ('draft', 'published');
ALTER TABLE posts ADD COLUMN state post_state NOT NULL DEFAULT 'draft';

-- migrate:down
ALTER TABLE posts DROP COLUMN state;
DROP TYPE post_state;
