BEGIN;

-- Running downgrade r11 -> r10

ALTER TABLE users DROP CONSTRAINT users_email_check;
COMMENT ON TABLE users IS NULL;;

UPDATE alembic_version SET version_num='r10' WHERE alembic_version.version_num = 'r11';

-- Running downgrade r10 -> r08, r09

INSERT INTO alembic_version (version_num) VALUES ('r08') RETURNING alembic_version.version_num;

UPDATE alembic_version SET version_num='r09' WHERE alembic_version.version_num = 'r10';

-- Running downgrade r08 -> r07

DROP VIEW published_posts;;

UPDATE alembic_version SET version_num='r07' WHERE alembic_version.version_num = 'r08';

-- Running downgrade r07 -> r06

ALTER TABLE posts DROP COLUMN state;
DROP TYPE post_state;;

DELETE FROM alembic_version WHERE alembic_version.version_num = 'r07';

-- Running downgrade r09 -> r06

DELETE FROM settings WHERE key IN ('semi;colon', 'quote');;

UPDATE alembic_version SET version_num='r06' WHERE alembic_version.version_num = 'r09';

-- Running downgrade r06 -> r05

COMMIT;

DROP INDEX CONCURRENTLY posts_user_id_idx;

BEGIN;

UPDATE alembic_version SET version_num='r05' WHERE alembic_version.version_num = 'r06';

-- Running downgrade r05 -> r04

DROP TRIGGER posts_touch ON posts;
ALTER TABLE posts DROP COLUMN updated_at;;

UPDATE alembic_version SET version_num='r04' WHERE alembic_version.version_num = 'r05';

-- Running downgrade r04 -> r03

DROP FUNCTION touch_updated_at();;

UPDATE alembic_version SET version_num='r03' WHERE alembic_version.version_num = 'r04';

-- Running downgrade r03 -> r02

DROP TABLE posts;;

UPDATE alembic_version SET version_num='r02' WHERE alembic_version.version_num = 'r03';

-- Running downgrade r02 -> r01

DROP TABLE users;;

UPDATE alembic_version SET version_num='r01' WHERE alembic_version.version_num = 'r02';

-- Running downgrade r01 -> 

DELETE FROM alembic_version WHERE alembic_version.version_num = 'r01';

COMMIT;

