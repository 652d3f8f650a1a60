-- Settings: key/value pairs; the first migration has no down.
CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO settings VALUES ('a;b', 'it''s; fine'), ('c', $$dollar; quoted$$);
