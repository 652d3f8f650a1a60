-- +goose Up
ALTER TABLE posts ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- +goose Down
DROP TRIGGER posts_touch ON posts;
ALTER TABLE posts DROP COLUMN updated_at;
