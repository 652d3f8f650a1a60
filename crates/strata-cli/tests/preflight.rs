//! `strata preflight` against a real PostgreSQL database: a session holding a lock on a table a
//! pending migration touches is named as a blocker (exit 1); once it lets go, no blocker.

mod common;
use common::*;

#[test]
fn a_lock_on_a_touched_table_is_a_blocker() {
    let db = Db::pg();
    let Db::Pg(pg) = &db else { unreachable!() };
    let url = Some(db.url());
    let project = Project::new();
    project.migration(
        "a1",
        &[],
        "CREATE TABLE accounts (id int PRIMARY KEY);",
        "DROP TABLE accounts;",
    );
    assert_exit(&strata(project.path(), url, &["upgrade"]), 0);
    project.migration(
        "b2",
        &["a1"],
        "ALTER TABLE accounts ADD COLUMN note text;",
        "ALTER TABLE accounts DROP COLUMN note;",
    );

    // Nothing in the way: version, pending, no blocker.
    let out = strata(project.path(), url, &["preflight"]);
    assert_exit(&out, 0);
    let t = stdout(&out);
    assert!(
        t.contains("1 migration(s) pending") && t.contains("b2"),
        "{t}"
    );
    assert!(t.contains("no blockers"), "{t}");
    assert!(t.contains("no replica is visible"), "{t}");

    // Another session reads the table in an open transaction: its ACCESS SHARE lock blocks the
    // ACCESS EXCLUSIVE lock of ADD COLUMN, and no lock_timeout is set.
    let mut holder = pg.client();
    holder
        .batch_execute("BEGIN; LOCK TABLE accounts IN ACCESS SHARE MODE;")
        .unwrap();
    let pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    let out = strata(project.path(), url, &["preflight"]);
    assert_exit(&out, 1);
    let t = stdout(&out);
    assert!(t.contains("BLOCKER") && t.contains("locks"), "{t}");
    assert!(t.contains(&format!("pid {pid} ")), "{t}");
    assert!(t.contains("AccessShareLock on accounts"), "{t}");
    assert!(t.contains("migrations/b2_m.sql:"), "{t}");
    let out = strata(project.path(), url, &["--json", "preflight"]);
    assert_exit(&out, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["ok"], false);
    let locks = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "locks")
        .unwrap();
    assert_eq!(locks["status"], "blocker");

    // The session lets go: no blocker.
    holder.batch_execute("COMMIT").unwrap();
    assert_exit(&strata(project.path(), url, &["preflight"]), 0);
}
