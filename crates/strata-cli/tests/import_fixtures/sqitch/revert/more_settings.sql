-- Revert fixture:more_settings from pg

BEGIN;

DELETE FROM settings WHERE key IN ('semi;colon', 'quote');

COMMIT;
