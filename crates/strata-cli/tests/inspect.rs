//! `strata inspect`: the live schema as SQL that re-creates it, or as JSON.

mod common;
use common::*;

#[test]
fn inspect_prints_sql_that_recreates_the_schema_without_strata_tables() {
    let project = Project::new();
    project.migration(
        "20260101000000",
        &[],
        "CREATE SCHEMA app;\nCREATE TABLE app.\"a\"\"; DROP TABLE x; --\" (id serial PRIMARY KEY, \"order\" text NOT NULL DEFAULT 'it''s');\nCOMMENT ON TABLE app.\"a\"\"; DROP TABLE x; --\" IS 'hostile';",
        "DROP SCHEMA app CASCADE;",
    );
    let db = Db::pg();
    assert_exit(
        &strata(project.path(), Some(db.url()), &["upgrade", "head"]),
        0,
    );

    let out = strata(project.path(), Some(db.url()), &["inspect"]);
    assert_exit(&out, 0);
    let sql = stdout(&out);
    assert!(
        sql.contains(r#"CREATE TABLE "app"."a""; DROP TABLE x; --" ("#),
        "{sql}"
    );
    assert!(
        !sql.contains("strata_version") && !sql.contains("strata_history"),
        "{sql}"
    );

    // Applied to an empty database, it gives the same model.
    let copy = Db::pg();
    if let Db::Pg(pg) = &copy {
        pg.client().batch_execute(&sql).unwrap();
    }
    let json = |url: &str| {
        let out = strata(project.path(), Some(url), &["inspect", "--format", "json"]);
        assert_exit(&out, 0);
        stdout(&out)
    };
    let original = json(db.url());
    assert!(
        original.contains(r#""name": "a\"; DROP TABLE x; --""#),
        "{original}"
    );
    assert_eq!(original, json(copy.url()));
    // --json is the same as --format json.
    let out = strata(project.path(), Some(db.url()), &["--json", "inspect"]);
    assert_eq!(stdout(&out), original);
}

/// SQLite: the printed SQL, run in an empty database, re-creates the same model.
#[test]
fn inspect_sqlite_recreates_the_schema() {
    let project = Project::new();
    project.migration(
        "20260101000000",
        &[],
        "CREATE TABLE \"Mixed \"\"Case\" (id integer PRIMARY KEY AUTOINCREMENT, \"order\" text NOT NULL DEFAULT 'it''s' COLLATE NOCASE);\nCREATE INDEX ix ON \"Mixed \"\"Case\" (\"order\" DESC) WHERE id > 0;\nCREATE VIEW v AS SELECT \"order\" FROM \"Mixed \"\"Case\";",
        "DROP VIEW v; DROP TABLE \"Mixed \"\"Case\";",
    );
    let db = Db::sqlite();
    assert_exit(&strata(project.path(), Some(db.url()), &["upgrade"]), 0);
    let out = strata(project.path(), Some(db.url()), &["inspect"]);
    assert_exit(&out, 0);
    let sql = stdout(&out);
    assert!(!sql.contains("strata_version"), "{sql}");
    let copy = Db::sqlite();
    copy.exec(&sql);
    let json = |url: &str| {
        let out = strata(project.path(), Some(url), &["inspect", "--format", "json"]);
        assert_exit(&out, 0);
        stdout(&out)
    };
    assert_eq!(json(db.url()), json(copy.url()));
    assert!(
        json(db.url()).contains("Mixed \\\"Case"),
        "{}",
        json(db.url())
    );
}
