-- +goose Up
COMMENT ON TABLE users IS 'people; who post';

-- +goose Down
COMMENT ON TABLE users IS NULL;
