ALTER TABLE posts ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
