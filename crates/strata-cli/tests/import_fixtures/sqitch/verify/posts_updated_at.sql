-- Verify fixture:posts_updated_at on pg

SELECT 1;
