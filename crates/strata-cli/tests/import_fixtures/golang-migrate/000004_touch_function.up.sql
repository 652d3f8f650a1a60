CREATE FUNCTION touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now(); -- a semicolon; inside
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
