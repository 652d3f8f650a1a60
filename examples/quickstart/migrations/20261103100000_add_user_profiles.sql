-- strata:message add user profiles
-- strata:revises 20261102090000
-- strata:labels profiles

-- strata:up
CREATE TABLE profiles (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    bio TEXT
);
-- Keep profiles in step with users: a new user gets an empty profile.
CREATE TRIGGER users_default_profile AFTER INSERT ON users
BEGIN
    INSERT INTO profiles (user_id, display_name) VALUES (NEW.id, NEW.email);
END;

-- strata:down
DROP TRIGGER users_default_profile;
DROP TABLE profiles;
