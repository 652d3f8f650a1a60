-- Verify fixture:posts_user_index on pg

SELECT 1;
