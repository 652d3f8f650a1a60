-- migrate:up
ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (position('@' in email) > 0);

-- migrate:down
ALTER TABLE users DROP CONSTRAINT users_email_check;
