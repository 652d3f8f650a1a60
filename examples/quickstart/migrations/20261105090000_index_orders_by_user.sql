-- strata:message index orders by user
-- strata:revises 20261104090000

-- strata:up
CREATE INDEX orders_user_id_idx ON orders (user_id, placed_at);

-- strata:down
DROP INDEX orders_user_id_idx;
