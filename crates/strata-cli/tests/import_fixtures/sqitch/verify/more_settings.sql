-- Verify fixture:more_settings on pg

SELECT 1;
