-- Revert fixture:touch_function from pg

BEGIN;

DROP FUNCTION touch_updated_at();

COMMIT;
