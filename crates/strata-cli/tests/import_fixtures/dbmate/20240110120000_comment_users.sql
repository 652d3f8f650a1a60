-- migrate:up
COMMENT ON TABLE users IS 'people; who post';

-- migrate:down
COMMENT ON TABLE users IS NULL;
