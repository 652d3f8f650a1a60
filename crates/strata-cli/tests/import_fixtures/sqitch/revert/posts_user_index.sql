-- Revert fixture:posts_user_index from pg

DROP INDEX CONCURRENTLY posts_user_id_idx;
