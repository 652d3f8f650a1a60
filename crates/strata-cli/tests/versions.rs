//! Semantic schema versions through the `strata` binary: `version --compute` writes each
//! revision's impact, `version` reads a database's version from its history, `check` and
//! `upgrade` refuse a declared version below its impact.

mod common;
use common::*;
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn version_of(dir: &Path, url: Option<&str>) -> String {
    let out = strata(dir, url, &["version"]);
    assert_exit(&out, 0);
    stdout(&out).trim().to_owned()
}

#[test]
fn the_quickstart_version_after_each_migration() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
    let project = Project::new();
    copy_dir(&root.join("migrations"), &project.path().join("migrations"));
    copy_dir(&root.join("schema"), &project.path().join("schema"));
    let db = project.path().join("q.db");
    let url = format!("sqlite://{}", db.display());
    let url = Some(url.as_str());

    // The example's files have no impact yet: --check says so and writes nothing.
    let out = strata(project.path(), url, &["version", "--compute", "--check"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("no `-- strata:impact` line"),
        "{}",
        text(&out)
    );
    let out = strata(project.path(), url, &["version", "--compute"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).matches("written").count(), 6, "{}", text(&out));
    let merge = std::fs::read_to_string(
        project
            .path()
            .join("migrations/20261104090000_merge_orders_and_profiles.sql"),
    )
    .unwrap();
    assert!(merge.contains("-- strata:impact patch\n"), "{merge}");
    assert_exit(
        &strata(project.path(), url, &["version", "--compute", "--check"]),
        0,
    );
    project.config("migrations_dir = \"migrations\"\n\n[versioning]\nstart = \"1.0.0\"\n");
    assert_exit(&strata(project.path(), url, &["check"]), 0);

    // Both branches add tables (minor); the merge changes nothing (patch); the index is minor.
    let mut seen = Vec::new();
    for id in [
        "20261101090000",
        "20261102090000",
        "20261103090000",
        "20261103100000",
        "20261104090000",
        "20261105090000",
    ] {
        assert_exit(&strata(project.path(), url, &["upgrade", id]), 0);
        seen.push(version_of(project.path(), url));
    }
    assert_eq!(
        seen,
        ["1.1.0", "1.2.0", "1.3.0", "1.4.0", "1.4.1", "1.5.0"],
        "versions after each migration"
    );
    assert_exit(&strata(project.path(), url, &["downgrade", "-1"]), 0);
    assert_eq!(version_of(project.path(), url), "1.4.1");
}

#[test]
fn breaking_changes_declared_versions_and_stamps_on_postgres() {
    let db = Db::pg();
    let url = Some(db.url());
    let project = Project::new();
    project.config("migrations_dir = \"migrations\"\n\n[versioning]\nstart = \"2.0.0\"\n");
    std::fs::create_dir(project.path().join("schema")).unwrap();
    std::fs::write(
        project.path().join("schema/app.sql"),
        "CREATE TABLE t (id bigint PRIMARY KEY, note text);\n",
    )
    .unwrap();
    project.migration(
        "a1",
        &[],
        "CREATE TABLE t (id bigint PRIMARY KEY, name text);",
        "DROP TABLE t;",
    );
    project.migration(
        "b2",
        &["a1"],
        "ALTER TABLE t DROP COLUMN name;",
        "ALTER TABLE t ADD COLUMN name text;",
    );
    let c3 = project.write(
        "c3_m.sql",
        "-- strata:message c3\n-- strata:revises b2\n-- strata:version 3.0.5\n\n-- strata:up\nALTER TABLE t ADD COLUMN note text;\n\n-- strata:down\nALTER TABLE t DROP COLUMN note;\n",
    );
    let out = strata(project.path(), url, &["version", "--compute"]);
    // c3 declares 3.0.5 after a major change to 3.0.0 and its own minor one: 3.1.0 at least.
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("declares 3.0.5, less than its minor impact implies (3.1.0)"),
        "{}",
        text(&out)
    );
    let text_b2 = std::fs::read_to_string(project.path().join("migrations/b2_m.sql")).unwrap();
    assert!(text_b2.contains("-- strata:impact major"), "{text_b2}");

    // check and upgrade refuse it, at its line; upgrade applies nothing.
    let out = strata(project.path(), url, &["check"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("migrations/c3_m.sql:3:"),
        "{}",
        text(&out)
    );
    let out = strata(project.path(), url, &["upgrade"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("least it may declare is 3.1.0"),
        "{}",
        text(&out)
    );
    assert!(!db.table_exists("t"));

    // Declared high enough: the version jumps to it.
    let fixed = std::fs::read_to_string(&c3)
        .unwrap()
        .replace("3.0.5", "4.0.0");
    std::fs::write(&c3, fixed).unwrap();
    assert_exit(&strata(project.path(), url, &["version", "--compute"]), 0);
    assert_exit(&strata(project.path(), url, &["upgrade", "a1"]), 0);
    assert_eq!(version_of(project.path(), url), "2.1.0");
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    assert_eq!(version_of(project.path(), url), "4.0.0");

    // A header that understates the change: check and --compute --check name it.
    let b2 = project.path().join("migrations/b2_m.sql");
    let edited = std::fs::read_to_string(&b2)
        .unwrap()
        .replace("-- strata:impact major", "-- strata:impact patch");
    std::fs::write(&b2, edited).unwrap();
    let out = strata(project.path(), url, &["check"]);
    assert_exit(&out, 1);
    assert!(
        text(&out).contains("the header says `-- strata:impact patch`, the schema change is major"),
        "{}",
        text(&out)
    );
    assert_exit(
        &strata(project.path(), url, &["version", "--compute", "--check"]),
        1,
    );
    // The applied file changed: its impact as applied is not known any more.
    let out = strata(project.path(), url, &["version"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("b2 was applied with checksum"),
        "{}",
        text(&out)
    );

    // Stamped revisions count as applied.
    let edited = std::fs::read_to_string(&b2)
        .unwrap()
        .replace("-- strata:impact patch", "-- strata:impact major");
    std::fs::write(&b2, edited).unwrap();
    let other = Db::pg();
    let out = strata(
        project.path(),
        Some(other.url()),
        &["stamp", "head", "--reason", "restored from a dump"],
    );
    assert_exit(&out, 0);
    assert_eq!(version_of(project.path(), Some(other.url())), "4.0.0");
    let out = strata(project.path(), Some(other.url()), &["--json", "version"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["version"], "4.0.0");
    assert_eq!(json["revisions"][1]["impact"], "major");
    assert_eq!(json["revisions"][1]["version"], "3.0.0");
}
