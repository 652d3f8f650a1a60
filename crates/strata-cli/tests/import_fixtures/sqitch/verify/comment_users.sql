-- Verify fixture:comment_users on pg

SELECT 1;
