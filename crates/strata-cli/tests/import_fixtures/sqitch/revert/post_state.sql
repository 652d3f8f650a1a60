-- Revert fixture:post_state from pg

BEGIN;

ALTER TABLE posts DROP COLUMN state;
DROP TYPE post_state;

COMMIT;
