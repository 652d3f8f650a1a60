-- migrate:up
-- The people who post.
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL
);

-- migrate:down
DROP TABLE users;
