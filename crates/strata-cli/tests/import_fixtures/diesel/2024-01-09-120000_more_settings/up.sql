INSERT INTO settings (key, value) VALUES ('semi;colon', E'line1;\nline2'), ('quote', 'it''s');
