//! What a newcomer meets in the first hour: read-only commands that never create a database,
//! accepting an edited applied file, and the getting-started guide run as written.

mod common;
use common::*;

#[test]
fn read_only_commands_never_create_a_sqlite_file() {
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id int);", "DROP TABLE a;");
    let missing = p.path().join("typo_prod.db");
    let url = format!("sqlite://{}", missing.display());
    for args in [
        &["current"][..],
        &["history"],
        &["log"],
        &["verify"],
        &["drift"],
    ] {
        let out = strata(p.path(), Some(&url), args);
        assert_exit(&out, 2);
        let said = text(&out);
        assert!(said.contains("does not exist"), "{args:?}: {said}");
        assert!(!missing.exists(), "{args:?} created the file");
    }
    // A dry run of the first upgrade plans from base, and creates nothing either.
    let out = strata(p.path(), Some(&url), &["upgrade", "--dry-run"]);
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("does not exist yet") && text(&out).contains("a1"),
        "{}",
        text(&out)
    );
    assert!(!missing.exists(), "the dry run created the file");
    // upgrade creates it, as it should.
    assert_exit(&strata(p.path(), Some(&url), &["upgrade"]), 0);
    assert!(missing.exists());
    assert_exit(&strata(p.path(), Some(&url), &["current"]), 0);
}

#[test]
fn an_edited_applied_file_can_be_accepted_with_a_reason() {
    for db in [Db::pg(), Db::sqlite()] {
        let p = Project::new();
        p.migration("a1", &[], "CREATE TABLE a (id int);", "DROP TABLE a;");
        p.migration("a2", &["a1"], "CREATE TABLE b (id int);", "DROP TABLE b;");
        assert_exit(&strata(p.path(), Some(db.url()), &["upgrade"]), 0);
        // A comment fixed in an applied file.
        let file = p.path().join("migrations/a1_m.sql");
        let original = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("-- creates a\n{original}")).unwrap();
        assert_exit(&strata(p.path(), Some(db.url()), &["verify"]), 1);

        // The reason is required, and must say something.
        let no_reason = strata(p.path(), Some(db.url()), &["verify", "--accept", "a1"]);
        assert_exit(&no_reason, 2);
        assert!(
            text(&no_reason).contains("--reason"),
            "{}",
            text(&no_reason)
        );
        let blank = strata(
            p.path(),
            Some(db.url()),
            &["verify", "--accept", "a1", "--reason", " "],
        );
        assert_exit(&blank, 2);
        // An unchanged file has nothing to accept.
        let unchanged = strata(
            p.path(),
            Some(db.url()),
            &["verify", "--accept", "a2", "--reason", "x"],
        );
        assert_exit(&unchanged, 2);
        assert!(
            text(&unchanged).contains("unchanged"),
            "{}",
            text(&unchanged)
        );

        let out = strata(
            p.path(),
            Some(db.url()),
            &[
                "verify",
                "--accept",
                "a1",
                "--reason",
                "comment added, SQL unchanged",
            ],
        );
        assert_exit(&out, 0);
        assert_exit(&strata(p.path(), Some(db.url()), &["verify"]), 0);
        assert_eq!(db.heads(), ["a2"], "the heads did not move");
        let stamp = db
            .strings("SELECT message FROM strata_history WHERE kind = 'stamp' AND revision = 'a1'");
        assert_eq!(stamp.len(), 1);
        assert!(
            stamp[0].contains("comment added, SQL unchanged") && stamp[0].contains(" -> "),
            "names the reason and both checksums: {}",
            stamp[0]
        );
        // before-upgrade no longer refuses.
        p.config(
            "migrations_dir = \"migrations\"\n[env.development]\nverify = \"before-upgrade\"\n",
        );
        assert_exit(&strata(p.path(), Some(db.url()), &["upgrade"]), 0);
    }
}
