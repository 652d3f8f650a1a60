-- Revert fixture:email_check from pg

BEGIN;

ALTER TABLE users DROP CONSTRAINT users_email_check;

COMMIT;
