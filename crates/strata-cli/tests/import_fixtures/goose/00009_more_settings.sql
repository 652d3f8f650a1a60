-- +goose Up
INSERT INTO settings (key, value) VALUES ('semi;colon', E'line1;\nline2'), ('quote', 'it''s');

-- +goose Down
DELETE FROM settings WHERE key IN ('semi;colon', 'quote');
