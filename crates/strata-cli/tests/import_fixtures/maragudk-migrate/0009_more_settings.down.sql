DELETE FROM settings WHERE key IN ('semi;colon', 'quote');
