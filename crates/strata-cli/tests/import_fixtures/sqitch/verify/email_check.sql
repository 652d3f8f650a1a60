-- Verify fixture:email_check on pg

SELECT 1;
