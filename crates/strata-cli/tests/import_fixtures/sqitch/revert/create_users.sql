-- Revert fixture:create_users from pg

BEGIN;

DROP TABLE users;

COMMIT;
