-- Verify fixture:settings on pg

SELECT 1;
