COMMENT ON TABLE users IS 'people; who post';
