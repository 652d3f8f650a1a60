-- Verify fixture:post_state on pg

SELECT 1;
