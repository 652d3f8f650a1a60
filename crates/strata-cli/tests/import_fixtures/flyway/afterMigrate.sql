ANALYZE settings;
