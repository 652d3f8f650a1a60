-- Deploy fixture:touch_function to pg

BEGIN;

CREATE FUNCTION touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now(); -- a semicolon; inside
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

COMMIT;
