//! Input caught at its source, before anything runs (a NUL byte, a folder as strata.toml, state
//! table names, `--batch-size 0`, an empty `-- strata:revises`); control characters from files
//! and the database escaped on human output; applied files edited since (`verify`).

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

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// No raw control character other than newline and tab.
#[track_caller]
fn assert_no_controls(text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c.is_control() && c != '\n' && c != '\t')
        .collect();
    assert!(bad.is_empty(), "raw control characters {bad:?} in:\n{text}");
}

// --- A NUL byte -----------------------------------------------------------------------------

both_engines!(a_nul_byte_fails_the_load_before_anything_runs);
fn a_nul_byte_fails_the_load_before_anything_runs(db: Db) {
    let p = Project::new();
    let url = db.url().to_owned();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.write(
        "b2_nul.sql",
        "-- strata:message two\n-- strata:revises a1\n\n-- strata:up\nCREATE TABLE b (id integer);\nSELECT 1\0;\n\n-- strata:down\nDROP TABLE b;\n",
    );
    // A fresh database: nothing applied, strata's tables not even created.
    let out = strata(p.path(), Some(&url), &["upgrade"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("migrations/b2_nul.sql:6: migration contains a NUL byte (column 9)"),
        "{}",
        text(&out)
    );
    assert!(!stderr(&out).contains("connection"), "{}", text(&out));
    assert_no_controls(&text(&out));
    assert!(!db.table_exists("a") && !db.table_exists("b"));
    assert!(!db.table_exists("strata_version") && !db.table_exists("strata_history"));

    // With a1 applied and two pending, the NUL in the second stops the first as well.
    p.write(
        "b2_nul.sql",
        "-- strata:revises a1\n-- strata:up\nCREATE TABLE b (id integer);\n-- strata:down\nDROP TABLE b;\n",
    );
    assert_exit(&strata(p.path(), Some(&url), &["upgrade", "a1"]), 0);
    p.write(
        "c3_nul.sql",
        "-- strata:revises b2\n-- strata:up\nSELECT '\0';\n-- strata:down\n",
    );
    let out = strata(p.path(), Some(&url), &["upgrade"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("migrations/c3_nul.sql:3: migration contains a NUL byte"),
        "{}",
        text(&out)
    );
    assert_eq!(db.heads(), ["a1"]);
    assert_eq!(db.events(), ["up a1"]);
    assert!(!db.table_exists("b"));
}

#[test]
fn lint_counts_a_nul_byte_in_its_summary() {
    let p = Project::new();
    let dir = p.path().join("plain");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("1_ok.sql"),
        "CREATE TABLE a (id bigint PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(dir.join("2_nul.sql"), "SELECT 1;\nSELECT 'x\0';\n").unwrap();
    let out = strata(p.path(), None, &["lint", "plain"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("plain/2_nul.sql:2: migration contains a NUL byte (column 10)"),
        "{}",
        text(&out)
    );
    assert!(
        stdout(&out).contains(
            "1 error(s), 0 warning(s), 0 info (1 of the errors: a file that could not be read or parsed)"
        ),
        "{}",
        text(&out)
    );
    assert!(!stdout(&out).contains("0 error(s)"), "{}", text(&out));
}

// --- strata.toml ------------------------------------------------------------------------------

#[test]
fn a_folder_as_strata_toml_is_refused() {
    let p = Project::new();
    p.migration("a1", &[], "SELECT 1;", "SELECT 1;");

    // --config naming a folder, with the file inside it: the hint names the file.
    let out = strata(p.path(), None, &["--config", "migrations", "heads"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("error: migrations is a directory, not a configuration file"),
        "{}",
        text(&out)
    );
    let out = strata(
        p.path().parent().unwrap(),
        None,
        &["--config", p.path().to_str().unwrap(), "heads"],
    );
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("is a directory"), "{}", text(&out));
    assert!(stderr(&out).contains("strata.toml"), "{}", text(&out));

    // Found by the upward search: refused, not skipped for the parent's strata.toml.
    let sub = p.path().join("service");
    std::fs::create_dir_all(sub.join("strata.toml")).unwrap();
    let out = strata(&sub, None, &["heads"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("error: strata.toml is a directory, not a configuration file"),
        "{}",
        text(&out)
    );
    assert!(
        stderr(&out).contains("rename or remove it"),
        "{}",
        text(&out)
    );
    assert!(!stdout(&out).contains("a1"), "{}", text(&out));
}

both_engines!(state_table_names_have_at_most_two_parts);
fn state_table_names_have_at_most_two_parts(db: Db) {
    let p = Project::new();
    let url = db.url().to_owned();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.config(
        "migrations_dir = \"migrations\"\nversion_table = \"a.b.c\"\nhistory_table = \".log\"\n",
    );
    let out = strata(p.path(), Some(&url), &["upgrade"]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("strata.toml:2: `version_table` = \"a.b.c\" has 3 dot-separated parts"),
        "{err}"
    );
    assert!(
        err.contains("strata.toml:3: `history_table` = \".log\" has an empty part"),
        "{err}"
    );
    assert!(!db.table_exists("a") && !db.table_exists("b.c") && !db.table_exists("log"));
    assert!(!db.table_exists("strata_version") && !db.table_exists("strata_history"));

    p.config("version_table = \"\"\n");
    let out = strata(p.path(), Some(&url), &["upgrade"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("strata.toml:1: `version_table` must not be empty"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_batch_size_of_zero_is_refused() {
    let p = Project::new();
    for args in [
        &["start", "--batch-size", "0"][..],
        &[
            "backfill",
            "--table",
            "t",
            "--set",
            "a = 1",
            "--where",
            "a IS NULL",
            "--batch-size",
            "0",
        ][..],
    ] {
        let out = strata(p.path(), Some("postgres://nobody@127.0.0.1:1/none"), args);
        assert_exit(&out, 2);
        assert!(
            stderr(&out)
                .contains("invalid value '0' for '--batch-size <N>': a batch needs at least 1 row"),
            "{args:?}: {}",
            text(&out)
        );
    }
}

both_engines!(an_empty_revises_line_is_an_error_not_a_root);
fn an_empty_revises_line_is_an_error_not_a_root(db: Db) {
    let p = Project::new();
    let url = db.url().to_owned();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.write(
        "b2_child.sql",
        "-- strata:message child\n-- strata:revises\n-- strata:up\nCREATE TABLE b (id integer);\n-- strata:down\nDROP TABLE b;\n",
    );
    let out = strata(p.path(), Some(&url), &["upgrade", "heads"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("migrations/b2_child.sql:2: `-- strata:revises` is empty"),
        "{}",
        text(&out)
    );
    assert!(!db.table_exists("a") && !db.table_exists("b"));
    assert!(!db.table_exists("strata_version"));
}

// --- Control characters -------------------------------------------------------------------

both_engines!(control_characters_are_escaped_on_human_output);
fn control_characters_are_escaped_on_human_output(db: Db) {
    let p = Project::new();
    let url = db.url().to_owned();
    p.write(
        "a1_x\x1b[2J.sql",
        "-- strata:message red \x1b[31malert\x07 back\rover \u{9b}c\x7f\n-- strata:up\nCREATE TABLE a (id integer);\n-- strata:down\nDROP TABLE a;\n",
    );
    let out = strata(p.path(), Some(&url), &["upgrade"]);
    assert_exit(&out, 0);
    assert_no_controls(&text(&out));
    assert!(
        stdout(&out).contains("a1 red \\u{1b}[31malert\\u{7} back\\rover \\u{9b}c\\u{7f}"),
        "{}",
        text(&out)
    );
    p.write(
        "b2_y.sql",
        "-- strata:message b\x1b[5mblink\n-- strata:revises a1\n-- strata:up\nSELECT 1;\n-- strata:down\nSELECT 1;\n",
    );

    // A history row written by someone else, with escapes in every text column.
    db.exec(
        "INSERT INTO strata_history (revision, parents, kind, message, checksum, applied_by, strata_version, error) \
         VALUES ('a1', '', 'failed', 'msg ' || char(27) || ']0;pwned' || char(7), NULL, 'eve' || char(13) || 'root', 'x', \
                 'boom ' || char(27) || '[2K')"
            .replace("char(", if matches!(db, Db::Pg(_)) { "chr(" } else { "char(" })
            .as_str(),
    );
    for args in [
        &["log"][..],
        &["history"][..],
        &["current"][..],
        &["heads"][..],
        &["show", "a1"][..],
        &["upgrade", "--dry-run"][..],
    ] {
        let out = strata(p.path(), Some(&url), args);
        assert_exit(&out, 0);
        let all = text(&out);
        assert_no_controls(&all);
        assert!(all.contains("\\u{1b}"), "{args:?}: {all}");
    }
    let log = stdout(&strata(p.path(), Some(&url), &["log"]));
    assert!(log.contains("msg \\u{1b}]0;pwned\\u{7}"), "{log}");
    assert!(log.contains("eve\\rroot"), "{log}");
    assert!(log.contains("boom \\u{1b}[2K"), "{log}");
    let show = stdout(&strata(p.path(), Some(&url), &["show", "a1"]));
    assert!(
        show.contains("file:       migrations/a1_x\\u{1b}[2J.sql"),
        "{show}"
    );

    // JSON keeps the text as it is (escaped by JSON itself).
    let out = strata(p.path(), Some(&url), &["--json", "log"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["events"][1]["applied_by"], "eve\rroot");
}

#[test]
fn a_database_error_with_escapes_is_shown_escaped() {
    let db = Db::pg();
    let p = Project::new();
    p.migration(
        "a1",
        &[],
        "DO $$ BEGIN RAISE EXCEPTION USING MESSAGE = 'bad ' || chr(27) || '[2J', DETAIL = 'line one' || chr(10) || 'line ' || chr(7) || 'two'; END $$;",
        "SELECT 1;",
    );
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert_no_controls(&err);
    assert!(err.contains("bad \\u{1b}[2J"), "{err}");
    // Multi-line by design: the detail keeps its newline.
    assert!(err.contains("line one\nline \\u{7}two"), "{err}");
    let log = stdout(&strata(p.path(), Some(db.url()), &["log"]));
    assert_no_controls(&log);
    assert!(log.contains("\\u{1b}[2J"), "{log}");
}

// --- verify before upgrade ----------------------------------------------------------------

/// a1 applied, then edited (a comment), and b2 pending.
fn edited_after_apply(db: &Db, p: &Project) {
    let path = p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    assert_exit(&strata(p.path(), Some(db.url()), &["upgrade"]), 0);
    let original = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("-- edited\n{original}")).unwrap();
    p.migration(
        "b2",
        &["a1"],
        "CREATE TABLE b (id integer);",
        "DROP TABLE b;",
    );
}

both_engines!(verify_warns_by_default_and_goes_on);
fn verify_warns_by_default_and_goes_on(db: Db) {
    let p = Project::new();
    edited_after_apply(&db, &p);
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("warning: 1 applied migration file(s) changed after they were applied; going on (verify = \"warn\" by default):"),
        "{err}"
    );
    assert!(
        err.contains("migrations/a1_m.sql: revision a1 changed after it was applied on"),
        "{err}"
    );
    assert_eq!(db.heads(), ["b2"]);
    assert!(db.table_exists("b"));

    // Every upgrade says it again, even with nothing to run.
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains("migrations/a1_m.sql: revision a1"),
        "{}",
        text(&out)
    );

    // `off` does not look.
    p.config("migrations_dir = \"migrations\"\n[env.development]\nverify = \"off\"\n");
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 0);
    assert!(!text(&out).contains("a1_m.sql"), "{}", text(&out));
}

both_engines!(verify_before_upgrade_refuses_before_anything_runs);
fn verify_before_upgrade_refuses_before_anything_runs(db: Db) {
    let p = Project::new();
    edited_after_apply(&db, &p);
    p.config("migrations_dir = \"migrations\"\n\n[env.development]\nverify = \"before-upgrade\"\n");
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("error: 1 applied migration file(s) changed after they were applied; nothing was run (verify = \"before-upgrade\" in [env.development])"),
        "{err}"
    );
    assert!(
        err.contains("migrations/a1_m.sql: revision a1 changed after it was applied on"),
        "{err}"
    );
    assert!(
        err.contains("hint: restore each file as it was applied"),
        "{err}"
    );
    assert_eq!(db.heads(), ["a1"]);
    assert_eq!(db.events(), ["up a1"]);
    assert!(!db.table_exists("b"));

    // JSON names the files too.
    let out = strata(p.path(), Some(db.url()), &["--json", "upgrade"]);
    assert_exit(&out, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["error"]["exit_code"], 1);
    assert_eq!(
        json["error"]["mismatches"][0]["file"],
        "migrations/a1_m.sql"
    );

    // A stamp records the file as it is now: its checksum becomes the one of record.
    let out = strata(
        p.path(),
        Some(db.url()),
        &["stamp", "a1", "--reason", "comment added after the fact"],
    );
    assert_exit(&out, 0);
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 0);
    assert!(!stderr(&out).contains("changed"), "{}", text(&out));
    assert_eq!(db.heads(), ["b2"]);
}

#[test]
fn an_invalid_verify_value_is_refused_at_its_line() {
    let db = Db::sqlite();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.config("migrations_dir = \"migrations\"\n[env.development]\nverify = \"strict\"\n");
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains(
            "strata.toml:3: `env.development.verify` must be \"off\", \"warn\" or \"before-upgrade\", not \"strict\""
        ),
        "{}",
        text(&out)
    );
    assert!(!db.table_exists("a"));
}
