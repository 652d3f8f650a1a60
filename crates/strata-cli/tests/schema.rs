//! `check`, `drift`, `diff` and `revision --autogenerate` on both engines, through the
//! `strata` binary against real databases.

mod common;
use common::*;
use std::path::Path;

fn schema_file(project: &Project, name: &str, text: &str) {
    let dir = project.path().join("schema");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

fn migration_files(project: &Project) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(project.path().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

const V1: &str = "CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  email text NOT NULL\n);\n";
const V2: &str = "CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  email text NOT NULL,\n  nickname text\n);\nCREATE INDEX users_nickname ON users (nickname);\n";

/// check → autogenerate → upgrade → check → drift, then a hand-made change shows as drift, and
/// the generated down restores the previous schema.
fn workflow(db: Db) {
    let project = Project::new();
    let url = Some(db.url());
    schema_file(&project, "app.sql", V1);

    // No migrations yet: the schema files differ from head (base).
    let out = strata(project.path(), url, &["check"]);
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("users"), "{}", text(&out));

    let out = strata(
        project.path(),
        url,
        &["revision", "--autogenerate", "-m", "users"],
    );
    assert_exit(&out, 0);
    assert_eq!(migration_files(&project).len(), 1);
    assert_exit(&strata(project.path(), url, &["check"]), 0);

    // Nothing changed: autogenerate writes nothing and exits 0.
    let out = strata(
        project.path(),
        url,
        &["revision", "--autogenerate", "-m", "again"],
    );
    assert_exit(&out, 0);
    assert!(text(&out).contains("no changes"), "{}", text(&out));
    assert_eq!(migration_files(&project).len(), 1);

    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    assert_exit(&strata(project.path(), url, &["drift"]), 0);

    // The schema files move on: check fails until the migration is written.
    schema_file(&project, "app.sql", V2);
    assert_exit(&strata(project.path(), url, &["check"]), 1);
    let out = strata(
        project.path(),
        url,
        &["revision", "--autogenerate", "-m", "nickname"],
    );
    assert_exit(&out, 0);
    assert_exit(&strata(project.path(), url, &["check"]), 0);
    // Every file written carries its impact: a table, then a nullable column and an index.
    for name in migration_files(&project) {
        let file = read(&project.path().join("migrations").join(&name));
        assert!(file.contains("-- strata:impact minor\n"), "{name}:\n{file}");
    }
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    assert_exit(&strata(project.path(), url, &["drift"]), 0);

    // A column added by hand is drift, named; gone again, no drift.
    db.exec("ALTER TABLE users ADD COLUMN added_by_hand integer");
    let out = strata(project.path(), url, &["drift"]);
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("added_by_hand"), "{}", text(&out));
    db.exec("ALTER TABLE users DROP COLUMN added_by_hand");
    assert_exit(&strata(project.path(), url, &["drift"]), 0);

    // The generated downs restore the previous schema: back at the first revision, the database
    // matches it exactly (drift compares it with the migrations replayed to its revision).
    let first = migration_files(&project)[0][..14].to_owned();
    assert_exit(&strata(project.path(), url, &["downgrade", &first]), 0);
    assert_exit(&strata(project.path(), url, &["drift"]), 0);
    let out = strata(
        project.path(),
        url,
        &["diff", &format!("rev:{first}"), db.url(), "--exit-code"],
    );
    assert_exit(&out, 0);
}

#[test]
fn workflow_postgres() {
    workflow(Db::pg());
}

/// A schema file PostgreSQL rejects: exit 2 at its file:line with PostgreSQL's message, nothing
/// written, and the temporary shadow database gone.
#[test]
fn a_failing_schema_file_is_reported_at_its_line_and_the_shadow_database_is_dropped() {
    let project = Project::new();
    let db = Db::pg();
    schema_file(
        &project,
        "app.sql",
        "CREATE TABLE users (id bigint PRIMARY KEY);\n\nCREATE TABLE posts (\n  id bigint PRIMARY KEY,\n  author bigint REFERENCES nosuch (id)\n);\n",
    );
    let out = strata(
        project.path(),
        Some(db.url()),
        &["-v", "revision", "--autogenerate", "-m", "x"],
    );
    assert_exit(&out, 2);
    let all = text(&out);
    assert!(all.contains("schema/app.sql:3"), "{all}");
    assert!(all.contains("relation \"nosuch\" does not exist"), "{all}");
    assert!(migration_files(&project).is_empty());
    let shadow = all
        .lines()
        .find_map(|l| l.split("shadow database ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("-v names the shadow database: {all}"))
        .to_owned();
    assert!(shadow.starts_with("strata_shadow_"), "{shadow}");
    let left = db.strings(&format!(
        "SELECT datname::text FROM pg_database WHERE datname = '{shadow}'"
    ));
    assert!(left.is_empty(), "{shadow} was left behind");
}

/// Ctrl-C while the shadow database is being filled drops it.
#[test]
fn ctrl_c_drops_the_shadow_database() {
    let project = Project::new();
    let db = Db::pg();
    schema_file(
        &project,
        "app.sql",
        "CREATE TABLE t (id int);\nSELECT pg_sleep(30);\n",
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(project.path())
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .args(["--url", db.url(), "-v", "check"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the shadow database exists and the sleep is running.
    let mut shadow = None;
    for _ in 0..200 {
        let found = db.strings(
            "SELECT datname::text FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND datname LIKE 'strata_shadow_%'",
        );
        if let Some(name) = found.into_iter().next() {
            shadow = Some(name);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let shadow = shadow.expect("the shadow database is being filled");
    unsafe_sigint(child.id());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let left = db.strings(&format!(
        "SELECT datname::text FROM pg_database WHERE datname = '{shadow}'"
    ));
    assert!(left.is_empty(), "{shadow} was left behind: {}", text(&out));
}

fn unsafe_sigint(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Dropping data is refused without --allow-destructive; with it, the migration is written.
fn destructive_needs_the_flag(db: Db) {
    let project = Project::new();
    let url = Some(db.url());
    schema_file(&project, "app.sql", V2);
    assert_exit(
        &strata(
            project.path(),
            url,
            &["revision", "--autogenerate", "-m", "v2"],
        ),
        0,
    );
    schema_file(&project, "app.sql", V1);
    let out = strata(
        project.path(),
        url,
        &["revision", "--autogenerate", "-m", "drop nickname"],
    );
    assert_exit(&out, 1);
    assert!(text(&out).contains("nickname"), "{}", text(&out));
    assert!(text(&out).contains("--allow-destructive"), "{}", text(&out));
    assert_eq!(migration_files(&project).len(), 1);
    let out = strata(
        project.path(),
        url,
        &[
            "revision",
            "--autogenerate",
            "-m",
            "drop nickname",
            "--allow-destructive",
        ],
    );
    assert_exit(&out, 0);
    // On PostgreSQL the index goes first, concurrently, in a file of its own.
    let files = migration_files(&project);
    let index_file = files
        .iter()
        .find(|f| f.ends_with("_drop_indexes_concurrently.sql"));
    assert_eq!(
        files.len(),
        2 + usize::from(index_file.is_some()),
        "{files:?}"
    );
    if let Some(f) = index_file {
        let written = read(&project.path().join("migrations").join(f));
        assert!(
            written.contains("DROP INDEX CONCURRENTLY IF EXISTS"),
            "{written}"
        );
    }
    let written = read(
        &project
            .path()
            .join("migrations")
            .join(files.last().unwrap()),
    );
    assert!(written.contains("-- hazard: data-loss"), "{written}");
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    assert_exit(&strata(project.path(), url, &["check"]), 0);
    assert_exit(&strata(project.path(), url, &["drift"]), 0);
}

#[test]
fn destructive_needs_the_flag_postgres() {
    destructive_needs_the_flag(Db::pg());
}

/// `-- strata:renamed-from` in a schema file and `--rename` both give a rename, not drop+add.
fn renames(db: Db) {
    let project = Project::new();
    let url = Some(db.url());
    schema_file(&project, "app.sql", V1);
    assert_exit(
        &strata(
            project.path(),
            url,
            &["revision", "--autogenerate", "-m", "v1"],
        ),
        0,
    );
    schema_file(
        &project,
        "app.sql",
        "CREATE TABLE people ( -- strata:renamed-from users\n  id bigint PRIMARY KEY,\n  mail text NOT NULL -- strata:renamed-from email\n);\n",
    );
    let out = strata(
        project.path(),
        url,
        &["revision", "--autogenerate", "-m", "rename"],
    );
    assert_exit(&out, 0);
    let written = read(
        &project
            .path()
            .join("migrations")
            .join(&migration_files(&project)[1]),
    );
    assert!(written.contains("RENAME TO \"people\""), "{written}");
    assert!(
        written.contains("RENAME COLUMN \"email\" TO \"mail\""),
        "{written}"
    );
    assert!(!written.contains("DROP TABLE"), "{written}");
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    db.exec("INSERT INTO people (id, mail) VALUES (1, 'a@example.com')");
    assert_exit(&strata(project.path(), url, &["check"]), 0);

    // --rename on the command line: a possible rename becomes a rename.
    schema_file(
        &project,
        "app.sql",
        "CREATE TABLE people (\n  id bigint PRIMARY KEY,\n  address text NOT NULL\n);\n",
    );
    let out = strata(project.path(), url, &["diff", "rev:head", "schema"]);
    assert_exit(&out, 0);
    assert!(text(&out).contains("possible-rename"), "{}", text(&out));
    let out = strata(
        project.path(),
        url,
        &[
            "revision",
            "--autogenerate",
            "-m",
            "address",
            "--rename",
            "people.mail=address",
        ],
    );
    assert_exit(&out, 0);
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    assert_eq!(db.strings("SELECT address FROM people"), ["a@example.com"]);
}

#[test]
fn renames_postgres() {
    renames(Db::pg());
}

/// `diff` between SQL files, a database and rev:T, as SQL and JSON, with --exit-code.
#[test]
fn diff_sides_formats_and_exit_codes() {
    let project = Project::new();
    let db = Db::pg();
    let url = Some(db.url());
    std::fs::write(project.path().join("a.sql"), V1).unwrap();
    std::fs::write(project.path().join("b.sql"), V2).unwrap();

    let out = strata(project.path(), url, &["diff", "a.sql", "b.sql"]);
    assert_exit(&out, 0);
    let sql = stdout(&out);
    assert!(sql.contains("ADD COLUMN \"nickname\" text"), "{sql}");
    assert!(
        sql.contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS users_nickname"),
        "{sql}"
    );
    assert_exit(
        &strata(
            project.path(),
            url,
            &["diff", "a.sql", "b.sql", "--exit-code"],
        ),
        1,
    );
    assert_exit(
        &strata(
            project.path(),
            url,
            &["diff", "a.sql", "a.sql", "--exit-code"],
        ),
        0,
    );

    let out = strata(
        project.path(),
        url,
        &["diff", "b.sql", "a.sql", "--format", "json"],
    );
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let kinds: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["drop_index", "drop_column"], "{json}");
    assert_eq!(json["changes"][1]["destructive"], true);
    assert_eq!(json["changes"][1]["hazards"][0]["id"], "data-loss");
    // Without --allow-destructive the drop is a comment; with it, a statement.
    let out = strata(project.path(), url, &["diff", "b.sql", "a.sql"]);
    assert!(
        stdout(&out).contains("-- ALTER TABLE \"public\".\"users\" DROP COLUMN \"nickname\";"),
        "{}",
        stdout(&out)
    );
    let out = strata(
        project.path(),
        url,
        &["diff", "b.sql", "a.sql", "--allow-destructive"],
    );
    assert!(
        stdout(&out).contains("\nALTER TABLE \"public\".\"users\" DROP COLUMN \"nickname\";"),
        "{}",
        stdout(&out)
    );

    // The SQL runs as it stands: applied to a database holding A, it gives B.
    db.exec(V1);
    let out = strata(project.path(), url, &["diff", db.url(), "b.sql"]);
    assert_exit(&out, 0);
    let script = stdout(&out);
    let script_path = project.path().join("script.sql");
    std::fs::write(&script_path, &script).unwrap();
    let psql = std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url(), "-f"])
        .arg(&script_path)
        .output()
        .expect("psql");
    assert!(
        psql.status.success(),
        "{}",
        String::from_utf8_lossy(&psql.stderr)
    );
    assert_exit(
        &strata(
            project.path(),
            url,
            &["diff", db.url(), "b.sql", "--exit-code"],
        ),
        0,
    );

    // A side that is nothing strata knows.
    let out = strata(project.path(), url, &["diff", "nosuch.sql", "b.sql"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("nosuch.sql"), "{}", text(&out));
}

#[test]
fn workflow_sqlite() {
    workflow(Db::sqlite());
}

#[test]
fn destructive_needs_the_flag_sqlite() {
    destructive_needs_the_flag(Db::sqlite());
}

#[test]
fn renames_sqlite() {
    renames(Db::sqlite());
}

/// SQLite: a change its ALTER TABLE cannot make is a table rebuild that keeps the rows; a schema
/// file SQLite rejects is reported at its line; `inspect` prints SQL that re-creates the schema.
#[test]
fn sqlite_rebuilds_keep_rows_and_errors_have_lines() {
    let project = Project::new();
    let db = Db::sqlite();
    let url = Some(db.url());
    schema_file(&project, "app.sql", V1);
    assert_exit(
        &strata(
            project.path(),
            url,
            &["revision", "--autogenerate", "-m", "v1"],
        ),
        0,
    );
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    db.exec("INSERT INTO users (id, email) VALUES (1, 'a@example.com'), (2, 'b@example.com')");

    // email becomes UNIQUE and gets a CHECK: SQLite needs a rebuild.
    schema_file(
        &project,
        "app.sql",
        "CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  email text NOT NULL UNIQUE CHECK (email LIKE '%@%')\n);\n",
    );
    let out = strata(
        project.path(),
        url,
        &["revision", "--autogenerate", "-m", "unique email"],
    );
    assert_exit(&out, 0);
    let written = read(
        &project
            .path()
            .join("migrations")
            .join(&migration_files(&project)[1]),
    );
    assert!(written.contains("_strata_new_"), "{written}");
    assert!(written.contains("-- hazard: table-rewrite"), "{written}");
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    assert_eq!(
        db.strings("SELECT email FROM users ORDER BY id"),
        ["a@example.com", "b@example.com"]
    );
    assert_exit(&strata(project.path(), url, &["check"]), 0);
    assert_exit(&strata(project.path(), url, &["drift"]), 0);
    assert_exit(&strata(project.path(), url, &["downgrade", "-1"]), 0);
    assert_exit(&strata(project.path(), url, &["drift"]), 0);
    assert_eq!(db.strings("SELECT email FROM users ORDER BY id").len(), 2);

    let out = strata(project.path(), url, &["inspect"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("CREATE TABLE \"users\""),
        "{}",
        text(&out)
    );
    assert!(!stdout(&out).contains("strata_version"), "{}", text(&out));

    schema_file(
        &project,
        "app.sql",
        "CREATE TABLE t (id integer PRIMARY KEY);\n\nCREATE INDEX i ON nosuch (x);\n",
    );
    let out = strata(project.path(), url, &["check"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("schema/app.sql:3"), "{}", text(&out));
    assert!(text(&out).contains("no such table"), "{}", text(&out));
}

/// `schema_command`: the desired state is what the command prints.
#[test]
fn schema_command_output_is_the_desired_state() {
    let project = Project::new();
    let db = Db::sqlite();
    std::fs::write(project.path().join("dump.sql"), V2).unwrap();
    project.config("migrations_dir = \"migrations\"\nschema_command = \"cat dump.sql\"\n");
    let url = Some(db.url());
    assert_exit(&strata(project.path(), url, &["check"]), 1);
    assert_exit(
        &strata(
            project.path(),
            url,
            &["revision", "--autogenerate", "-m", "v2"],
        ),
        0,
    );
    assert_exit(&strata(project.path(), url, &["check"]), 0);

    project.config("migrations_dir = \"migrations\"\nschema_command = \"exit 3\"\n");
    let out = strata(project.path(), url, &["check"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("schema_command `exit 3` failed"),
        "{}",
        text(&out)
    );
}

/// `shadow_url`: a configured scratch database is used, and left empty; the target itself is
/// refused as a shadow.
#[test]
fn shadow_url_is_used_and_emptied() {
    let project = Project::new();
    let db = Db::pg();
    let shadow = Db::pg();
    project.config(&format!(
        "migrations_dir = \"migrations\"\n[env.development]\nurl = \"{}\"\nshadow_url = \"{}\"\n",
        db.url(),
        shadow.url()
    ));
    schema_file(&project, "app.sql", V2);
    shadow.exec("CREATE TABLE leftover (id int)");
    let out = strata(project.path(), None, &["-v", "check"]);
    assert_exit(&out, 1);
    assert!(!text(&out).contains("strata_shadow_"), "{}", text(&out));
    assert!(stdout(&out).contains("nickname"), "{}", text(&out));
    // The leftover table was not taken for part of the schema, and nothing is left now.
    assert!(!stdout(&out).contains("leftover"), "{}", text(&out));
    assert!(shadow
        .strings("SELECT relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'")
        .is_empty());

    project.config(&format!(
        "migrations_dir = \"migrations\"\n[env.development]\nurl = \"{0}\"\nshadow_url = \"{0}\"\n",
        db.url()
    ));
    let out = strata(project.path(), None, &["check"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("shadow_url is the target database itself"),
        "{}",
        text(&out)
    );
}

/// No schema written yet: `check` fails and says so, instead of only proposing to drop it all.
#[test]
fn empty_schema_files_are_named_as_the_likely_cause() {
    let project = Project::new();
    let db = Db::sqlite();
    project.migration(
        "a1",
        &[],
        "CREATE TABLE t (id integer PRIMARY KEY);",
        "DROP TABLE t;",
    );
    std::fs::create_dir_all(project.path().join("schema")).unwrap();
    let out = strata(project.path(), Some(db.url()), &["check"]);
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("hold no table"), "{}", text(&out));
}

/// The quickstart example's schema file matches its migrations.
#[test]
fn the_quickstart_schema_matches_its_migrations() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let out = strata(
        &root,
        Some(&format!("sqlite://{}", db.display())),
        &["--config", "strata.toml", "check"],
    );
    assert_exit(&out, 0);
}

/// A project on PostgreSQL, with or without a `shadow_url`.
fn pg_project(db: &Db, shadow: Option<&Db>) -> Project {
    let project = Project::new();
    let shadow = shadow
        .map(|s| format!("shadow_url = \"{}\"\n", s.url()))
        .unwrap_or_default();
    project.config(&format!(
        "migrations_dir = \"migrations\"\n[env.development]\nurl = \"{}\"\n{shadow}",
        db.url()
    ));
    project
}

/// An untouched database is not drift, whether the shadow is a temporary database or the
/// configured `shadow_url` (emptied between uses: its `public` schema comes back as a fresh
/// database has it); and `inspect --format sql` of it is a schema file `check` accepts as it is.
fn drift_right_after_upgrade(with_shadow: bool) {
    let db = Db::pg();
    let shadow = Db::pg();
    let project = pg_project(&db, with_shadow.then_some(&shadow));
    schema_file(&project, "app.sql", V2);
    assert_exit(
        &strata(
            project.path(),
            None,
            &["revision", "--autogenerate", "-m", "v2"],
        ),
        0,
    );
    assert_exit(&strata(project.path(), None, &["upgrade"]), 0);
    let out = strata(project.path(), None, &["drift"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("no drift"), "{}", text(&out));
    // Twice in a row, so a shadow emptied once is compared again.
    assert_exit(&strata(project.path(), None, &["drift"]), 0);
    let out = strata(project.path(), None, &["inspect", "--format", "sql"]);
    assert_exit(&out, 0);
    schema_file(&project, "app.sql", &stdout(&out));
    let out = strata(project.path(), None, &["check"]);
    assert_exit(&out, 0);
}

#[test]
fn drift_right_after_upgrade_postgres() {
    drift_right_after_upgrade(false);
}

#[test]
fn drift_right_after_upgrade_with_shadow_url() {
    drift_right_after_upgrade(true);
}

/// With `shadow_url`, both sides of `diff rev:head schema/` go through the one shadow database,
/// one after the other: the answer is the same every time.
#[test]
fn diff_with_shadow_url_gives_the_same_answer_every_time() {
    let db = Db::pg();
    let shadow = Db::pg();
    let project = pg_project(&db, Some(&shadow));
    schema_file(&project, "app.sql", V1);
    assert_exit(
        &strata(
            project.path(),
            None,
            &["revision", "--autogenerate", "-m", "v1"],
        ),
        0,
    );
    schema_file(
        &project,
        "app.sql",
        &format!("{V2}CREATE TABLE posts (id bigint PRIMARY KEY, author bigint REFERENCES users (id));\n"),
    );
    let first = strata(project.path(), None, &["diff", "rev:head", "schema"]);
    assert_exit(&first, 0);
    assert!(
        stdout(&first).contains("CREATE TABLE \"public\".\"posts\""),
        "{}",
        text(&first)
    );
    for run in 0..19 {
        let again = strata(project.path(), None, &["diff", "rev:head", "schema"]);
        assert_exit(&again, 0);
        assert_eq!(
            stdout(&again),
            stdout(&first),
            "run {}: {}",
            run + 2,
            text(&again)
        );
    }
}

/// A migration that fails while the migrations are replayed in the shadow database is reported
/// as that: no pointer to `strata log` of a database strata empties right after.
#[test]
fn a_replay_failure_in_the_shadow_does_not_point_at_its_history() {
    let db = Db::pg();
    let shadow = Db::pg();
    let project = pg_project(&db, Some(&shadow));
    project.migration(
        "a1",
        &[],
        "CREATE TABLE t (id int);\nSELECT 1/0;",
        "DROP TABLE t;",
    );
    schema_file(&project, "app.sql", V1);
    let out = strata(project.path(), None, &["check"]);
    assert_exit(&out, 3);
    let all = text(&out);
    assert!(all.contains("shadow database"), "{all}");
    assert!(all.contains("division by zero"), "{all}");
    assert!(!all.contains("strata log"), "{all}");
}

/// An enum gaining a label under a view, and a CHECK added to a table that holds rows: every file
/// autogenerate writes is one `upgrade` runs, named for what it does; the downs take the changes
/// back (the label too, by rebuilding the type), and refuse while a row uses the label.
#[test]
fn enum_labels_and_checks_give_files_upgrade_and_downgrade_accept() {
    let db = Db::pg();
    let project = pg_project(&db, None);
    let a = "CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE t (id bigint PRIMARY KEY, m mood DEFAULT 'ok', n int);\nCREATE VIEW v AS SELECT * FROM t;\n";
    schema_file(&project, "app.sql", a);
    assert_exit(
        &strata(
            project.path(),
            None,
            &["revision", "--autogenerate", "-m", "a"],
        ),
        0,
    );
    assert_exit(&strata(project.path(), None, &["upgrade"]), 0);
    db.exec("INSERT INTO t (id, n) VALUES (1, 5)");
    let first = migration_files(&project)[0][..14].to_owned();
    let b = a
        .replace("('sad', 'ok')", "('sad', 'ok', 'happy')")
        .replace("n int)", "n int CHECK (n > 0))");
    schema_file(&project, "app.sql", &b);
    let out = strata(
        project.path(),
        None,
        &["revision", "--autogenerate", "-m", "b"],
    );
    assert_exit(&out, 0);
    let files = migration_files(&project);
    let names: Vec<&str> = files[1..].iter().map(|f| &f[15..]).collect();
    assert_eq!(
        names,
        [
            "b_add_enum_values.sql",
            "b.sql",
            "b_validate_constraints.sql"
        ],
        "{}",
        text(&out)
    );
    let enum_file = read(&project.path().join("migrations").join(&files[1]));
    assert!(
        enum_file.contains("-- strata:destructive-downgrade"),
        "{enum_file}"
    );
    assert!(
        enum_file.contains("RENAME TO \"mood_strata_down\""),
        "{enum_file}"
    );
    let validate = read(&project.path().join("migrations").join(&files[3]));
    assert!(validate.contains("VALIDATE CONSTRAINT"), "{validate}");
    let out = strata(project.path(), None, &["upgrade"]);
    assert_exit(&out, 0);
    assert_exit(&strata(project.path(), None, &["check"]), 0);
    assert_exit(&strata(project.path(), None, &["drift"]), 0);
    // Back to A: the schema is A's again, exactly.
    assert_exit(&strata(project.path(), None, &["downgrade", &first]), 0);
    let out = strata(
        project.path(),
        None,
        &["diff", &format!("rev:{first}"), db.url(), "--exit-code"],
    );
    assert_exit(&out, 0);
    // Up again, and a row that uses the new label: the down refuses instead of losing it.
    assert_exit(&strata(project.path(), None, &["upgrade"]), 0);
    db.exec("INSERT INTO t (id, m, n) VALUES (2, 'happy', 1)");
    let out = strata(project.path(), None, &["downgrade", &first]);
    assert_exit(&out, 3);
    assert!(text(&out).contains("happy"), "{}", text(&out));
}

/// `inspect --format sql` is a schema file a person can go on editing: a table added at its end
/// lands in `public` like in any session, and `check` names it.
#[test]
fn inspect_output_takes_hand_written_additions() {
    let db = Db::pg();
    let project = pg_project(&db, None);
    schema_file(&project, "app.sql", V2);
    assert_exit(
        &strata(
            project.path(),
            None,
            &["revision", "--autogenerate", "-m", "v2"],
        ),
        0,
    );
    assert_exit(&strata(project.path(), None, &["upgrade"]), 0);
    let out = strata(project.path(), None, &["inspect", "--format", "sql"]);
    assert_exit(&out, 0);
    schema_file(
        &project,
        "app.sql",
        &format!("{}\nCREATE TABLE added_by_hand (id bigint PRIMARY KEY, u bigint REFERENCES users (id));\n", stdout(&out)),
    );
    let out = strata(project.path(), None, &["check"]);
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("added_by_hand"), "{}", text(&out));
}

/// SQLite: a column added to `profiles` in the quickstart's schema is one change, and the file
/// autogenerate writes adds it and touches nothing else (the trigger on `users` that names
/// `profiles` stays).
#[test]
fn sqlite_an_added_column_is_one_change() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
    let project = Project::new();
    for dir in ["migrations", "schema"] {
        std::fs::create_dir_all(project.path().join(dir)).unwrap();
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(
                entry.path(),
                project.path().join(dir).join(entry.file_name()),
            )
            .unwrap();
        }
    }
    project.config("migrations_dir = \"migrations\"\nschema = [\"schema\"]\n");
    let db = Db::sqlite();
    let url = Some(db.url());
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    let shop = project.path().join("schema").join("shop.sql");
    let edited = read(&shop).replace("    bio TEXT\n", "    bio TEXT,\n    avatar TEXT\n");
    std::fs::write(&shop, edited).unwrap();
    let out = strata(project.path(), url, &["check"]);
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("(1 change(s))"), "{}", text(&out));
    let before = migration_files(&project).len();
    let out = strata(
        project.path(),
        url,
        &["revision", "--autogenerate", "-m", "avatar"],
    );
    assert_exit(&out, 0);
    let files = migration_files(&project);
    assert_eq!(files.len(), before + 1);
    let written = read(
        &project
            .path()
            .join("migrations")
            .join(files.last().unwrap()),
    );
    assert!(written.contains("ADD COLUMN \"avatar\" TEXT"), "{written}");
    assert!(!written.contains("TRIGGER"), "{written}");
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    assert_exit(&strata(project.path(), url, &["check"]), 0);
}
