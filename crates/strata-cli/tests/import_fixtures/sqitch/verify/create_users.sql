-- Verify fixture:create_users on pg

SELECT 1;
