ALTER TABLE posts DROP COLUMN state;
DROP TYPE post_state;
