//! The core engine end to end, on PostgreSQL and on SQLite: init, revision, upgrade, downgrade,
//! branches and merges, verify, stamp, offline SQL.

mod common;
use common::*;

/// Runs the same scenario on both engines.
macro_rules! both_engines {
    ($name:ident) => {
        mod $name {
            #[test]
            fn postgres() {
                super::$name(super::Db::pg());
            }
            #[test]
            fn sqlite() {
                super::$name(super::Db::sqlite());
            }
        }
    };
}

both_engines!(init_revision_upgrade_downgrade_upgrade);
fn init_revision_upgrade_downgrade_upgrade(db: Db) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("app");
    let out = strata(root.path(), None, &["init", "app"]);
    assert_exit(&out, 0);
    assert!(
        dir.join("strata.toml").exists()
            && dir.join("migrations").is_dir()
            && dir.join("schema").is_dir()
    );
    // init refuses to overwrite
    assert_exit(&strata(root.path(), None, &["init", "app"]), 2);

    let out = strata(
        &dir,
        None,
        &["revision", "-m", "create users", "--rev-id", "a1"],
    );
    assert_exit(&out, 0);
    let path = dir.join(stdout(&out).trim());
    assert!(
        path.ends_with("migrations/a1_create_users.sql"),
        "{}",
        path.display()
    );
    std::fs::write(
        &path,
        "-- strata:message create users\n\n-- strata:up\nCREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);\n\n-- strata:down\nDROP TABLE users;\n",
    )
    .unwrap();
    let out = strata(
        &dir,
        None,
        &["revision", "-m", "add posts", "--rev-id", "b2"],
    );
    assert_exit(&out, 0);
    let path = dir.join(stdout(&out).trim());
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.contains("-- strata:revises a1"),
        "new revision revises the head:\n{written}"
    );
    std::fs::write(
        &path,
        "-- strata:message add posts\n-- strata:revises a1\n\n-- strata:up\nCREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id));\n\n-- strata:down\nDROP TABLE posts;\n",
    )
    .unwrap();

    let url = db.url().to_owned();
    let out = strata(&dir, Some(&url), &["upgrade", "head"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("▲ a1 create users"), "{}", text(&out));
    assert!(stdout(&out).contains("▲ b2 add posts"));
    assert_eq!(db.heads(), vec!["b2"]);
    assert!(db.table_exists("posts"));

    let out = strata(&dir, Some(&url), &["downgrade", "-1"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("▼ b2 add posts"), "{}", text(&out));
    assert_eq!(db.heads(), vec!["a1"]);
    assert!(!db.table_exists("posts"));
    assert!(db.table_exists("users"));

    let out = strata(&dir, Some(&url), &["upgrade"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["b2"]);
    assert_eq!(db.events(), vec!["up a1", "up b2", "down b2", "up b2"]);

    let out = strata(&dir, Some(&url), &["current", "--json"]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"heads": ["b2"], "pending": [], "online": null})
    );

    let out = strata(&dir, Some(&url), &["upgrade"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("nothing to do"), "{}", text(&out));

    let out = strata(&dir, Some(&url), &["downgrade", "base"]);
    assert_exit(&out, 0);
    assert!(db.heads().is_empty());
    assert!(!db.table_exists("users"));
}

/// a1 -> b1 (label left), a1 -> c1 (label right): two heads.
fn branched(p: &Project) {
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.write(
        "b1_left.sql",
        "-- strata:message left\n-- strata:revises a1\n-- strata:labels left\n\n-- strata:up\nCREATE TABLE b (id integer);\n\n-- strata:down\nDROP TABLE b;\n",
    );
    p.write(
        "c1_right.sql",
        "-- strata:message right\n-- strata:revises a1\n-- strata:labels right\n\n-- strata:up\nCREATE TABLE c (id integer);\n\n-- strata:down\nDROP TABLE c;\n",
    );
}

both_engines!(two_heads_merge_and_downgrade_past_merge);
fn two_heads_merge_and_downgrade_past_merge(db: Db) {
    let p = Project::new();
    branched(&p);
    let url = db.url().to_owned();

    let out = strata(p.path(), Some(&url), &["upgrade", "head"]);
    assert_exit(&out, 2);
    let t = text(&out);
    assert!(
        t.contains("b1") && t.contains("c1"),
        "names both heads: {t}"
    );
    assert!(
        t.contains("heads") && t.contains("merge"),
        "suggests heads or merge: {t}"
    );
    assert!(!db.table_exists("a"), "nothing ran");

    let out = strata(p.path(), None, &["heads"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 2);

    let out = strata(p.path(), Some(&url), &["upgrade", "left@head"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["b1"]);
    let out = strata(p.path(), Some(&url), &["upgrade", "heads"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["b1", "c1"]);

    let out = strata(
        p.path(),
        None,
        &["merge", "heads", "-m", "join", "--rev-id", "m1"],
    );
    assert_exit(&out, 0);
    let merge_file = std::fs::read_to_string(p.path().join(stdout(&out).trim())).unwrap();
    assert!(
        merge_file.contains("-- strata:revises b1 c1"),
        "{merge_file}"
    );
    p.migration(
        "d1",
        &["m1"],
        "CREATE TABLE d (id integer);",
        "DROP TABLE d;",
    );

    let out = strata(p.path(), Some(&url), &["upgrade", "head"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["d1"]);

    // Downgrading past the merge leaves both parents as heads.
    let out = strata(p.path(), Some(&url), &["downgrade", "-2"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["b1", "c1"]);
    // One branch down only.
    let out = strata(p.path(), Some(&url), &["downgrade", "right@base"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["b1"]);
    assert!(!db.table_exists("c") && db.table_exists("b"));
    let out = strata(p.path(), Some(&url), &["upgrade", "head"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["d1"]);
    // Downgrading to the root removes both branches and the merge.
    let out = strata(p.path(), Some(&url), &["downgrade", "a1"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["a1"]);
    assert!(!db.table_exists("b") && !db.table_exists("c") && !db.table_exists("d"));
}

both_engines!(verify_detects_changes_but_not_line_endings);
fn verify_detects_changes_but_not_line_endings(db: Db) {
    let p = Project::new();
    let path = p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    let url = db.url().to_owned();
    assert_exit(&strata(p.path(), Some(&url), &["upgrade"]), 0);
    assert_exit(&strata(p.path(), Some(&url), &["verify"]), 0);

    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, original.replace('\n', "\r\n")).unwrap();
    let out = strata(p.path(), Some(&url), &["verify"]);
    assert_exit(&out, 0);

    std::fs::write(&path, format!("-- a comment is a change\n{original}")).unwrap();
    let out = strata(p.path(), Some(&url), &["verify"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("a1") && text(&out).contains("changed"),
        "{}",
        text(&out)
    );
    let out = strata(p.path(), Some(&url), &["verify", "--json"]);
    assert_exit(&out, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["mismatches"][0]["revision"], "a1");
    assert_eq!(json["mismatches"][0]["kind"], "changed");
}

both_engines!(stamp_sets_heads_without_running_sql);
fn stamp_sets_heads_without_running_sql(db: Db) {
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration(
        "b1",
        &["a1"],
        "CREATE TABLE b (id integer);",
        "DROP TABLE b;",
    );
    let url = db.url().to_owned();
    let out = strata(p.path(), Some(&url), &["stamp", "head"]);
    assert_exit(&out, 2); // --reason is required
    let out = strata(
        p.path(),
        Some(&url),
        &["stamp", "head", "--reason", "restored from a dump"],
    );
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["b1"]);
    assert!(!db.table_exists("a"));
    assert_eq!(db.events(), vec!["stamp b1"]);
    let reason = db.strings("SELECT message FROM strata_history WHERE kind = 'stamp'");
    assert_eq!(reason, vec!["restored from a dump"]);
}

both_engines!(failing_migration_rolls_back_and_keeps_earlier_ones);
fn failing_migration_rolls_back_and_keeps_earlier_ones(db: Db) {
    let p = Project::new();
    p.migration(
        "a1",
        &[],
        "CREATE TABLE a (id integer PRIMARY KEY);",
        "DROP TABLE a;",
    );
    p.migration(
        "b1",
        &["a1"],
        "CREATE TABLE b (id integer);\nINSERT INTO a (id) VALUES (1);\nINSERT INTO a (id) VALUES (1);",
        "DROP TABLE b;",
    );
    let url = db.url().to_owned();
    let out = strata(p.path(), Some(&url), &["upgrade"]);
    assert_exit(&out, 3);
    let t = text(&out);
    assert!(
        t.contains("b1_m.sql:7"),
        "names the file and the failing statement's line: {t}"
    );
    match &db {
        Db::Pg(_) => assert!(t.contains("23505"), "names the SQLSTATE: {t}"),
        Db::Sqlite(_) => assert!(t.contains("UNIQUE"), "names the error: {t}"),
    }
    assert!(t.contains("1 earlier migration"), "{t}");
    assert_eq!(db.heads(), vec!["a1"]);
    assert!(db.table_exists("a"));
    assert!(
        !db.table_exists("b"),
        "the failed migration's own changes are rolled back"
    );
    assert_eq!(db.events(), vec!["up a1", "failed b1"]);
    let errors = db.strings("SELECT error FROM strata_history WHERE kind = 'failed'");
    assert!(!errors[0].is_empty());
}

both_engines!(malformed_inputs_exit_2_with_file_line_and_touch_nothing);
fn malformed_inputs_exit_2_with_file_line_and_touch_nothing(db: Db) {
    let url = db.url().to_owned();
    let cases: &[(&str, &str, &str)] = &[
        ("unknown parent", "-- strata:revises zz9\n\n-- strata:up\nCREATE TABLE x (id integer);\n-- strata:down\nDROP TABLE x;\n", "b1_m.sql:1"),
        ("unknown header key", "-- strata:revises a1\n-- strata:revise a1\n\n-- strata:up\nSELECT 1;\n-- strata:down\n", "b1_m.sql:2"),
        ("missing up", "-- strata:revises a1\n\nCREATE TABLE x (id integer);\n", "b1_m.sql:"),
        ("cycle", "-- strata:revises b1\n\n-- strata:up\n-- strata:down\n", "b1_m.sql:1"),
    ];
    for (what, b1, location) in cases {
        let p = Project::new();
        p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
        p.write("b1_m.sql", b1);
        let out = strata(p.path(), Some(&url), &["upgrade", "a1"]);
        assert_exit(&out, 2);
        assert!(
            text(&out).contains(location),
            "{what}: expected {location} in:\n{}",
            text(&out)
        );
        assert!(!db.table_exists("a"), "{what}: nothing ran");
        assert!(
            !db.table_exists("strata_version"),
            "{what}: strata's tables were not even created"
        );
    }
    // Duplicate id and duplicate label.
    let p = Project::new();
    p.migration("a1", &[], "SELECT 1;", "SELECT 1;");
    p.write(
        "a1_again.sql",
        "-- strata:up\nSELECT 1;\n-- strata:down\nSELECT 1;\n",
    );
    let out = strata(p.path(), Some(&url), &["upgrade"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("a1_again.sql:1") && text(&out).contains("a1_m.sql:1"),
        "{}",
        text(&out)
    );
    let p = Project::new();
    p.write(
        "a1_m.sql",
        "-- strata:labels x\n\n-- strata:up\nSELECT 1;\n-- strata:down\nSELECT 1;\n",
    );
    p.write("b1_m.sql", "-- strata:revises a1\n-- strata:labels x\n\n-- strata:up\nSELECT 1;\n-- strata:down\nSELECT 1;\n");
    let out = strata(p.path(), Some(&url), &["upgrade"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("b1_m.sql:2"), "{}", text(&out));
    assert!(!db.table_exists("strata_version"));
    // An unresolvable target.
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    let out = strata(p.path(), Some(&url), &["upgrade", "nope"]);
    assert_exit(&out, 2);
    assert!(!db.table_exists("a"));
}

#[test]
fn offline_sql_needs_no_database() {
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration(
        "b1",
        &["a1"],
        "CREATE INDEX CONCURRENTLY a_id ON a (id);",
        "DROP INDEX CONCURRENTLY a_id;",
    );
    // A PostgreSQL URL that nothing listens on: --sql must not try it.
    let url = "postgres://nobody:secret@127.0.0.1:1/none";
    let out = strata(p.path(), Some(url), &["upgrade", "base:head", "--sql"]);
    assert_exit(&out, 0);
    let sql = stdout(&out);
    assert!(
        sql.contains("CREATE TABLE IF NOT EXISTS \"strata_version\""),
        "{sql}"
    );
    assert!(sql.contains("pg_advisory_lock"));
    assert!(
        sql.contains("BEGIN;\nCREATE TABLE a (id integer);\nINSERT INTO \"strata_history\""),
        "{sql}"
    );
    assert!(
        sql.contains("INSERT INTO \"strata_version\" (revision) VALUES ('a1');\nCOMMIT;"),
        "{sql}"
    );
    assert!(
        sql.contains("runs outside a transaction: CREATE INDEX CONCURRENTLY"),
        "{sql}"
    );
    assert!(
        sql.contains("CREATE INDEX CONCURRENTLY a_id ON a (id);\nBEGIN;"),
        "{sql}"
    );
    assert!(!sql.contains("secret"));
    let out = strata(p.path(), Some(url), &["downgrade", "head:base", "--sql"]);
    assert_exit(&out, 0);
    let sql = stdout(&out);
    assert!(sql.find("DROP INDEX CONCURRENTLY").unwrap() < sql.find("DROP TABLE a").unwrap());
    assert!(
        sql.contains("DELETE FROM \"strata_version\" WHERE revision IN ('a1');"),
        "{sql}"
    );
}

#[test]
fn graph_queries_need_no_database() {
    let p = Project::new();
    branched(&p);
    let out = strata(
        p.path(),
        Some("postgres://127.0.0.1:1/none"),
        &["graph", "--format", "dot"],
    );
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("\"b1\" -> \"a1\";"),
        "{}",
        stdout(&out)
    );
    let out = strata(p.path(), None, &["graph"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("rc1 --> ra1"));
    let out = strata(p.path(), None, &["branches"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("a1"));
    let out = strata(p.path(), None, &["show", "left@head", "--json"]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["revision"], "b1");
    assert_eq!(json["parents"], serde_json::json!(["a1"]));
}
