//! `strata inspect`: the live schema as SQL that re-creates it, or as JSON (SPEC §7).

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

#[test]
fn inspect_needs_postgresql() {
    let project = Project::new();
    let db = Db::sqlite();
    let out = strata(project.path(), Some(db.url()), &["inspect"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("PostgreSQL"), "{}", text(&out));
}
