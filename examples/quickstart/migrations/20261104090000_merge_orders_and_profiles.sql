-- strata:message merge orders and profiles
-- strata:revises 20261103090000 20261103100000

-- strata:up

-- strata:down
