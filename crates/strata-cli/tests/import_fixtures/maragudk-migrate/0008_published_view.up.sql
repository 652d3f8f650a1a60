CREATE VIEW published_posts AS
    SELECT id, user_id FROM posts WHERE state = 'published';
