//! Targets on the command line: flags are flags, relative targets that look like flags are
//! targets, near misses get a suggestion, and `<label>@-N` / `<label>@+N` count within a branch.

mod common;
use common::*;

/// a1 -> b1 -> c1, a straight line.
fn linear(p: &Project) {
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration(
        "b1",
        &["a1"],
        "CREATE TABLE b (id integer);",
        "DROP TABLE b;",
    );
    p.migration(
        "c1",
        &["b1"],
        "CREATE TABLE c (id integer);",
        "DROP TABLE c;",
    );
}

#[test]
fn unknown_flags_are_unknown_flags_and_relative_targets_still_work() {
    let db = Db::sqlite();
    let url = db.url().to_owned();
    let p = Project::new();
    linear(&p);

    for args in [
        &["upgrade", "--dryrun"][..],
        &["downgrade", "--dryrun"],
        &["upgrade", "head", "--dryrun"],
    ] {
        let out = strata(p.path(), Some(&url), args);
        assert_exit(&out, 2);
        let t = text(&out);
        assert!(
            t.contains("unexpected argument '--dryrun'"),
            "{args:?}: {t}"
        );
        assert!(t.contains("'--dry-run'"), "suggests the real flag: {t}");
        assert!(!t.contains("no revision matches"), "{t}");
        assert!(stdout(&out).is_empty(), "{t}");
    }
    let out = strata(p.path(), Some(&url), &["downgrade", "-x"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("unexpected argument '-x'"),
        "{}",
        text(&out)
    );
    assert!(
        !db.table_exists("strata_version"),
        "no unknown flag reached the database"
    );

    let out = strata(p.path(), Some(&url), &["upgrade", "+2"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), ["b1"]);
    let out = strata(p.path(), Some(&url), &["downgrade", "-1"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), ["a1"]);
    let out = strata(p.path(), Some(&url), &["upgrade", "+2", "--dry-run"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("2 migration(s) would run"),
        "{}",
        text(&out)
    );
    assert_eq!(db.heads(), ["a1"]);
    assert_exit(&strata(p.path(), Some(&url), &["upgrade", "+2"]), 0);
    assert_eq!(db.heads(), ["c1"]);
    let out = strata(p.path(), Some(&url), &["downgrade", "--dry-run", "-2"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), ["c1"]);
    let out = strata(p.path(), Some(&url), &["downgrade", "-2"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), ["a1"]);
    // A relative step the wrong way says which command takes it.
    let out = strata(p.path(), Some(&url), &["upgrade", "-1"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("strata downgrade -1"), "{}", text(&out));
    assert_eq!(db.heads(), ["a1"]);
}

#[test]
fn near_misses_suggest_the_closest_target() {
    let db = Db::sqlite();
    let url = db.url().to_owned();
    let p = Project::new();
    linear(&p);
    p.write(
        "o1_orders.sql",
        "-- strata:revises a1\n-- strata:labels orders\n\n-- strata:up\nSELECT 1;\n\n-- strata:down\nSELECT 1;\n",
    );

    let out = strata(p.path(), Some(&url), &["upgrade", "hed"]);
    assert_exit(&out, 2);
    let t = text(&out);
    assert!(t.contains("no revision matches `hed`"), "{t}");
    assert!(t.contains("did you mean `head`?"), "{t}");

    let out = strata(p.path(), Some(&url), &["upgrade", "ordrs"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("did you mean `orders`?"),
        "{}",
        text(&out)
    );

    let out = strata(p.path(), Some(&url), &["upgrade", "b2"]);
    assert_exit(&out, 2);
    assert!(text(&out).contains("did you mean `b1`?"), "{}", text(&out));

    let out = strata(p.path(), Some(&url), &["upgrade", "elephant"]);
    assert_exit(&out, 2);
    assert!(!text(&out).contains("did you mean"), "{}", text(&out));
    assert!(text(&out).contains("strata history"), "{}", text(&out));
    assert!(!db.table_exists("a"), "nothing ran");
}

#[test]
fn label_relative_targets_count_within_the_branch() {
    let db = Db::sqlite();
    let url = db.url().to_owned();
    let p = Project::new();
    linear(&p);
    p.write(
        "o1_orders.sql",
        "-- strata:revises a1\n-- strata:labels orders\n\n-- strata:up\nCREATE TABLE o1 (id integer);\n\n-- strata:down\nDROP TABLE o1;\n",
    );
    p.migration(
        "o2",
        &["o1"],
        "CREATE TABLE o2 (id integer);",
        "DROP TABLE o2;",
    );

    // Nothing of the branch applied: +2 applies its first two revisions (and what they need).
    let out = strata(p.path(), Some(&url), &["upgrade", "orders@+2"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), ["o2"]);
    assert_exit(&strata(p.path(), Some(&url), &["upgrade", "heads"]), 0);
    assert_eq!(db.heads(), ["c1", "o2"]);

    let out = strata(p.path(), Some(&url), &["downgrade", "orders@-1"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("▼ o2"), "{}", text(&out));
    assert_eq!(db.heads(), ["c1", "o1"]);
    let out = strata(p.path(), Some(&url), &["downgrade", "orders@-1"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), ["c1"]);
    assert!(
        db.table_exists("c") && !db.table_exists("o1"),
        "the trunk stays"
    );

    let out = strata(p.path(), Some(&url), &["downgrade", "orders@-1"]);
    assert_exit(&out, 2);
    let t = text(&out);
    assert!(t.contains("`orders@-1`"), "names the target: {t}");
    assert!(t.contains("none of it is applied"), "{t}");

    assert_exit(&strata(p.path(), Some(&url), &["upgrade", "orders@+1"]), 0);
    assert_eq!(db.heads(), ["c1", "o1"]);
    let out = strata(p.path(), Some(&url), &["downgrade", "orders@-2"]);
    assert_exit(&out, 2);
    let t = text(&out);
    assert!(t.contains("goes past the base of branch `orders`"), "{t}");
    assert!(t.contains("`orders@base`"), "{t}");
    assert_eq!(db.heads(), ["c1", "o1"]);

    let out = strata(p.path(), Some(&url), &["downgrade", "orders@"]);
    assert_exit(&out, 2);
    let t = text(&out);
    assert!(t.contains("invalid target `orders@`"), "{t}");
    assert!(t.contains("`orders@-1`"), "shows the form: {t}");
}
