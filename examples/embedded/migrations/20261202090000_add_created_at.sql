-- strata:message notes: created_at
-- strata:revises 20261201090000

-- strata:up
ALTER TABLE notes ADD COLUMN created_at text;

-- strata:down
ALTER TABLE notes DROP COLUMN created_at;
