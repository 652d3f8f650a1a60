-- +goose Up
ALTER TABLE users ADD CONSTRAINT users_email_check CHECK (position('@' in email) > 0);

-- +goose Down
ALTER TABLE users DROP CONSTRAINT users_email_check;
