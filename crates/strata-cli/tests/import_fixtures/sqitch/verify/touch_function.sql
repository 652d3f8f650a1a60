-- Verify fixture:touch_function on pg

SELECT 1;
