-- Verify fixture:create_posts on pg

SELECT 1;
