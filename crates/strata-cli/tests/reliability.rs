//! Concurrency, crashes, lock timeouts and secrets: what a team deploying several replicas relies on.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn eight_concurrent_runners(db: Db, slow: &str) {
    let p = Project::new();
    let mut parent: Vec<String> = Vec::new();
    for i in 0..5 {
        let id = format!("r{i}");
        let parents: Vec<&str> = parent.iter().map(String::as_str).collect();
        p.migration(
            &id,
            &parents,
            &format!("CREATE TABLE t{i} (id integer);\n{slow}"),
            &format!("DROP TABLE t{i};"),
        );
        parent = vec![id];
    }
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_strata"))
                .current_dir(p.path())
                .env_remove("DATABASE_URL")
                .args(["--url", db.url(), "upgrade", "head"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_exit(&out, 0);
    }
    assert_eq!(db.heads(), vec!["r4"]);
    let ups = db.strings("SELECT revision FROM strata_history WHERE kind = 'up' ORDER BY id");
    assert_eq!(
        ups,
        vec!["r0", "r1", "r2", "r3", "r4"],
        "each revision applied exactly once"
    );
}

#[test]
fn eight_concurrent_upgrades_apply_each_migration_once_postgres() {
    eight_concurrent_runners(Db::pg(), "SELECT pg_sleep(0.1);");
}

#[test]
fn eight_concurrent_upgrades_apply_each_migration_once_sqlite() {
    eight_concurrent_runners(Db::sqlite(), "");
}

#[test]
fn kill_9_during_a_migration_leaves_the_previous_revision() {
    let db = Db::pg();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    // Sleeps only while the marker table exists, so the second run is fast.
    p.migration(
        "b1",
        &["a1"],
        "CREATE TABLE b (id integer);\nSELECT pg_sleep(CASE WHEN to_regclass('slow_marker') IS NULL THEN 0 ELSE 60 END);",
        "DROP TABLE b;",
    );
    let Db::Pg(pg) = &db else { unreachable!() };
    let mut client = pg.client();
    client.batch_execute("CREATE TABLE slow_marker ()").unwrap();
    assert_exit(&strata(p.path(), Some(db.url()), &["upgrade", "a1"]), 0);

    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(p.path())
        .args(["--url", db.url(), "upgrade", "head"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let sleeping: i64 = client
            .query_one("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(CASE%' AND application_name = 'strata' AND state = 'active'", &[])
            .unwrap()
            .get(0);
        if sleeping > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "strata never reached the slow statement"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    client.batch_execute("DROP TABLE slow_marker").unwrap();

    assert_eq!(db.heads(), vec!["a1"], "the previous revision stays");
    let out = strata(p.path(), Some(db.url()), &["upgrade", "head"]);
    assert_exit(&out, 0);
    assert_eq!(db.heads(), vec!["b1"]);
    assert_eq!(
        db.strings(
            "SELECT kind || ' ' || revision FROM strata_history WHERE kind = 'up' ORDER BY id"
        ),
        vec!["up a1", "up b1"]
    );
}

#[test]
fn lock_timeout_is_retried_with_backoff() {
    let db = Db::pg();
    let Db::Pg(pg) = &db else { unreachable!() };
    let p = Project::new();
    p.config(&format!(
        "[env.development]\nurl = \"{}\"\nlock_timeout = \"200ms\"\nlock_retries = 5\n",
        db.url()
    ));
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration(
        "b1",
        &["a1"],
        "ALTER TABLE a ADD COLUMN x integer;",
        "ALTER TABLE a DROP COLUMN x;",
    );
    assert_exit(&strata(p.path(), None, &["upgrade", "a1"]), 0);

    let url = pg.url.clone();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let mut tx = client.transaction().unwrap();
        tx.batch_execute("LOCK TABLE a IN ACCESS EXCLUSIVE MODE")
            .unwrap();
        locked_tx.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(1200));
        tx.commit().unwrap();
    });
    locked_rx.recv().unwrap();
    let out = strata(p.path(), None, &["upgrade"]);
    holder.join().unwrap();
    assert_exit(&out, 0);
    assert!(text(&out).contains("lock timeout"), "{}", text(&out));
    assert!(text(&out).contains("retry 1"), "{}", text(&out));
    assert_eq!(db.heads(), vec!["b1"]);
}

#[test]
fn a_password_never_appears_in_any_output() {
    let db = Db::pg();
    let Db::Pg(pg) = &db else { unreachable!() };
    let secret = "hunter2-Pa55";
    let url = pg.url_with_password(secret);
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id integer);", "DROP TABLE a;");
    p.migration("b1", &["a1"], "SELECT 1/0;", "SELECT 1;");
    let mut outputs = vec![
        strata(p.path(), Some(&url), &["-v", "upgrade"]),
        strata(p.path(), Some(&url), &["-v", "upgrade", "--json"]),
        strata(p.path(), Some(&url), &["-v", "current"]),
        strata(p.path(), Some(&url), &["log"]),
        strata(p.path(), Some(&url), &["-v", "upgrade", "--dry-run"]),
        strata(
            p.path(),
            Some(&url.replace(":5432", ":1")),
            &["-v", "upgrade"],
        ),
        strata(
            p.path(),
            Some(&format!("{url}&sslmode=require").replacen('&', "?", 1)),
            &["-v", "current"],
        ),
    ];
    p.config(&format!(
        "[env.development]\nurl = \"{}\"\n",
        url.replace(":5432", ":1")
    ));
    outputs.push(strata(p.path(), None, &["-v", "current"]));
    for out in &outputs {
        assert!(
            !text(out).contains(secret),
            "password leaked:\n{}",
            text(out)
        );
    }
    assert_exit(&outputs[0], 3);
    assert!(text(&outputs[0]).contains("22012"), "{}", text(&outputs[0]));
    assert!(
        text(&outputs[0]).contains(":***@"),
        "the URL is shown masked: {}",
        text(&outputs[0])
    );
    assert_exit(&outputs[5], 3);
    let errors = db.strings("SELECT error FROM strata_history WHERE kind = 'failed'");
    assert!(errors.iter().all(|e| !e.contains(secret)));
}

#[test]
fn the_error_position_points_at_the_failing_line() {
    let db = Db::pg();
    let p = Project::new();
    // Line 4 is the statement's first line; the unknown type is on line 6.
    p.migration(
        "a1",
        &[],
        "CREATE TABLE x (\n    id integer,\n    oops no_such_type\n);\nCREATE TABLE y (id integer);",
        "DROP TABLE y;\nDROP TABLE x;",
    );
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 3);
    let t = text(&out);
    assert!(t.contains("a1_m.sql:6"), "{t}");
    assert!(
        t.contains("6 |     oops no_such_type"),
        "shows the source line: {t}"
    );
    assert!(t.contains("42704"), "{t}");
    assert!(!db.table_exists("x"));
}
