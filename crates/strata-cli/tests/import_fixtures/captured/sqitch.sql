CREATE SCHEMA sqitch;
CREATE TABLE sqitch.changes (
    change_id text NOT NULL,
    script_hash text,
    change text NOT NULL,
    project text NOT NULL,
    note text DEFAULT ''::text NOT NULL,
    committed_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    committer_name text NOT NULL,
    committer_email text NOT NULL,
    planned_at timestamp with time zone NOT NULL,
    planner_name text NOT NULL,
    planner_email text NOT NULL
);

COMMENT ON TABLE sqitch.changes IS 'Tracks the changes currently deployed to the database.';

COMMENT ON COLUMN sqitch.changes.change_id IS 'Change primary key.';

COMMENT ON COLUMN sqitch.changes.script_hash IS 'Deploy script SHA-1 hash.';

COMMENT ON COLUMN sqitch.changes.change IS 'Name of a deployed change.';

COMMENT ON COLUMN sqitch.changes.project IS 'Name of the Sqitch project to which the change belongs.';

COMMENT ON COLUMN sqitch.changes.note IS 'Description of the change.';

COMMENT ON COLUMN sqitch.changes.committed_at IS 'Date the change was deployed.';

COMMENT ON COLUMN sqitch.changes.committer_name IS 'Name of the user who deployed the change.';

COMMENT ON COLUMN sqitch.changes.committer_email IS 'Email address of the user who deployed the change.';

COMMENT ON COLUMN sqitch.changes.planned_at IS 'Date the change was added to the plan.';

COMMENT ON COLUMN sqitch.changes.planner_name IS 'Name of the user who planed the change.';

COMMENT ON COLUMN sqitch.changes.planner_email IS 'Email address of the user who planned the change.';

INSERT INTO sqitch.changes VALUES ('0543bdb550b5b51f0e8d831398ffca8174562ab9', 'bb96b85c43af103e58c78695dd3a0ee085f5dc47', 'settings', 'fixture', 'settings', '2026-12-07 22:41:55.990662+00', 'root', 'root@vm', '2024-01-01 12:00:00+00', 'Fixture Planner', 'planner@example.com');
INSERT INTO sqitch.changes VALUES ('cef153eaa773d33b5caa9398eeeca3f58fc2037f', '23dd432711043e16c08ed1e0cc283ab734ec63c0', 'create_users', 'fixture', 'create users', '2026-12-07 22:41:56.231442+00', 'root', 'root@vm', '2024-01-02 12:00:00+00', 'Fixture Planner', 'planner@example.com');
INSERT INTO sqitch.changes VALUES ('f3b2559bfc4d6a5157c987bad9930c5391a4135c', '0ef7fb220be6d3a81171d9124f3f451462aa0606', 'create_posts', 'fixture', 'create posts', '2026-12-07 22:41:56.587428+00', 'root', 'root@vm', '2024-01-03 12:00:00+00', 'Fixture Planner', 'planner@example.com');
INSERT INTO sqitch.changes VALUES ('57b435cc7c2ab77e8dcd3c6f85617099b5ead2aa', '0c987847a18f711acee6b2a8710d51c920a1151e', 'touch_function', 'fixture', 'touch function', '2026-12-07 22:41:56.786687+00', 'root', 'root@vm', '2024-01-04 12:00:00+00', 'Fixture Planner', 'planner@example.com');
INSERT INTO sqitch.changes VALUES ('86b2c1b9d6749b457f45c01be043ccd2aa801cda', 'e0b95307227236b0df3390fa960fae18fd387e0e', 'posts_updated_at', 'fixture', 'posts updated at', '2026-12-07 22:41:56.938722+00', 'root', 'root@vm', '2024-01-05 12:00:00+00', 'Fixture Planner', 'planner@example.com');
INSERT INTO sqitch.changes VALUES ('9e90a2ec9bf5642b9f7329576f761c8cc485143b', '7d36db7d2a9b9a497c79fac20f81be25e25e004f', 'posts_user_index', 'fixture', 'posts user index', '2026-12-07 22:41:57.147385+00', 'root', 'root@vm', '2024-01-06 12:00:00+00', 'Fixture Planner', 'planner@example.com');
INSERT INTO sqitch.changes VALUES ('7b74776ff5cdbb14dee846479b73bbdc05cef1e4', '3b1ba8e58281c9625f5b177df5953f1ebc759604', 'post_state', 'fixture', 'post state', '2026-12-07 22:41:57.274455+00', 'root', 'root@vm', '2024-01-07 12:00:00+00', 'Fixture Planner', 'planner@example.com');
INSERT INTO sqitch.changes VALUES ('d9ed69fe43e8d37eb1cdd65038de4f54878ded72', '3c018c2fde41b1327a52fd9fe05706be3442e57b', 'published_view', 'fixture', 'published view', '2026-12-07 22:41:57.401594+00', 'root', 'root@vm', '2024-01-08 12:00:00+00', 'Fixture Planner', 'planner@example.com');
INSERT INTO sqitch.changes VALUES ('4999966e40e5339eba2857074f4732a06e00065a', '933d268162a49829823e645ee636542b2143f0ab', 'more_settings', 'fixture', 'more settings', '2026-12-07 22:41:57.555083+00', 'root', 'root@vm', '2024-01-09 12:00:00+00', 'Fixture Planner', 'planner@example.com');
INSERT INTO sqitch.changes VALUES ('653e73c9a23c0b2a1f1e554c04027ba45b881151', 'b22d7689668f3d4e91a6a3634da48732057fa23e', 'comment_users', 'fixture', 'comment users', '2026-12-07 22:41:57.780357+00', 'root', 'root@vm', '2024-01-10 12:00:00+00', 'Fixture Planner', 'planner@example.com');
INSERT INTO sqitch.changes VALUES ('762874cb23fe074d5287390b92a3d92903dd12ed', 'c2b47a54084516b62fc2cbae41db5a758c088692', 'email_check', 'fixture', 'email check', '2026-12-07 22:41:57.99637+00', 'root', 'root@vm', '2024-01-11 12:00:00+00', 'Fixture Planner', 'planner@example.com');

ALTER TABLE ONLY sqitch.changes
    ADD CONSTRAINT changes_pkey PRIMARY KEY (change_id);

ALTER TABLE ONLY sqitch.changes
    ADD CONSTRAINT changes_project_script_hash_key UNIQUE (project, script_hash);

