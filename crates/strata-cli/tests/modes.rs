//! Run modes: outside a transaction, one transaction for the run, dry runs, and the refusals that
//! protect the way back.

mod common;
use common::*;

#[test]
fn concurrently_runs_outside_a_transaction_with_a_notice() {
    let db = Db::pg();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration(
        "b1",
        &["a1"],
        "CREATE INDEX CONCURRENTLY a_id ON a (id);",
        "DROP INDEX CONCURRENTLY a_id;",
    );
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("b1 runs outside a transaction (CREATE INDEX CONCURRENTLY at line 5)"),
        "{}",
        text(&out)
    );
    assert_eq!(
        db.strings("SELECT indexname::text FROM pg_indexes WHERE indexname = 'a_id'"),
        vec!["a_id"]
    );
    assert_eq!(db.heads(), vec!["b1"]);
    assert_exit(&strata(p.path(), Some(db.url()), &["downgrade", "-1"]), 0);
    assert!(db
        .strings("SELECT indexname::text FROM pg_indexes WHERE indexname = 'a_id'")
        .is_empty());
}

#[test]
fn a_failure_outside_a_transaction_says_what_ran() {
    let db = Db::pg();
    let p = Project::new();
    p.write(
        "a1_m.sql",
        "-- strata:transaction off\n\n-- strata:up\nCREATE TABLE a (id integer);\nCREATE TABLE a (id integer);\n\n-- strata:down\nDROP TABLE a;\n",
    );
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 3);
    let t = text(&out);
    assert!(t.contains("a1_m.sql:5"), "{t}");
    assert!(
        t.contains("line 4 ran and stay applied") || t.contains("statements at line 4 ran"),
        "{t}"
    );
    assert!(t.contains("idempotent"), "{t}");
    assert!(db.table_exists("a"), "the first statement stays");
    assert!(db.heads().is_empty());
    assert_eq!(db.events(), vec!["failed a1"]);
}

#[test]
fn single_transaction_is_all_or_nothing() {
    for db in [Db::pg(), Db::sqlite()] {
        let p = Project::new();
        p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
        p.migration(
            "b1",
            &["a1"],
            "CREATE TABLE b (id integer);",
            "DROP TABLE b;",
        );
        p.migration("c1", &["b1"], "INSERT INTO nope VALUES (1);", "SELECT 1;");
        let out = strata(
            p.path(),
            Some(db.url()),
            &["upgrade", "--single-transaction"],
        );
        assert_exit(&out, 3);
        assert!(
            !db.table_exists("a") && !db.table_exists("b"),
            "nothing stays: {}",
            text(&out)
        );
        assert!(db.heads().is_empty());
        assert_eq!(db.events(), vec!["failed c1"]);
        std::fs::remove_file(p.path().join("migrations/c1_m.sql")).unwrap();
        assert_exit(
            &strata(
                p.path(),
                Some(db.url()),
                &["upgrade", "--single-transaction"],
            ),
            0,
        );
        assert_eq!(db.heads(), vec!["b1"]);
    }
}

#[test]
fn single_transaction_refuses_a_non_transactional_migration_up_front() {
    let db = Db::pg();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration(
        "b1",
        &["a1"],
        "CREATE INDEX CONCURRENTLY a_id ON a (id);",
        "DROP INDEX CONCURRENTLY a_id;",
    );
    let out = strata(
        p.path(),
        Some(db.url()),
        &["upgrade", "--single-transaction"],
    );
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("--single-transaction cannot include b1"),
        "{}",
        text(&out)
    );
    assert!(!db.table_exists("a"));
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let db = Db::sqlite();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration(
        "b1",
        &["a1"],
        "CREATE TABLE b (id integer);",
        "DROP TABLE b;",
    );
    let out = strata(p.path(), Some(db.url()), &["upgrade", "--dry-run"]);
    assert_exit(&out, 0);
    let t = stdout(&out);
    assert!(t.find("▲ a1").unwrap() < t.find("▲ b1").unwrap(), "{t}");
    assert!(t.contains("nothing was changed"));
    assert!(!db.table_exists("a") && !db.table_exists("strata_version"));
    let out = strata(
        p.path(),
        Some(db.url()),
        &["upgrade", "--dry-run", "--json"],
    );
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["plan"][1]["revision"], "b1");
    assert_eq!(json["plan"][1]["heads_after"], serde_json::json!(["b1"]));
}

#[test]
fn empty_down_under_a_schema_change_and_irreversible_files_are_refused() {
    let db = Db::sqlite();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "");
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("empty-downgrade"), "{}", text(&out));
    assert!(!db.table_exists("a"));

    // Data-only migrations may have an empty down.
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration("b1", &["a1"], "INSERT INTO a VALUES (1);", "");
    p.write(
        "c1_m.sql",
        "-- strata:revises b1\n-- strata:irreversible the old values are gone\n\n-- strata:up\nUPDATE a SET id = 2;\n",
    );
    assert_exit(&strata(p.path(), Some(db.url()), &["upgrade"]), 0);
    let out = strata(p.path(), Some(db.url()), &["downgrade", "a1"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("irreversible: the old values are gone"),
        "{}",
        text(&out)
    );
    assert_eq!(db.heads(), vec!["c1"], "nothing was reverted");
}

#[test]
fn log_and_history_json() {
    let db = Db::sqlite();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration(
        "b1",
        &["a1"],
        "CREATE TABLE b (id integer);",
        "DROP TABLE b;",
    );
    assert_exit(&strata(p.path(), Some(db.url()), &["upgrade", "a1"]), 0);
    let out = strata(p.path(), Some(db.url()), &["log", "--json"]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let event = &json["events"][0];
    assert_eq!(event["revision"], "a1");
    assert_eq!(event["kind"], "up");
    assert_eq!(event["checksum"].as_str().unwrap().len(), 64);
    assert!(event["applied_by"].as_str().unwrap().contains('@'));
    assert!(
        event["execution_ms"].as_i64().is_some(),
        "SQLite measures execution time too: {event}"
    );
    let out = strata(p.path(), Some(db.url()), &["history", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["revisions"][0]["revision"], "a1");
    assert_eq!(json["revisions"][0]["current"], true);
    assert_eq!(json["revisions"][1]["applied"], false);
}
