-- Verify fixture:published_view on pg

SELECT 1;
