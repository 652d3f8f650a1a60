//! Several runners at once, interrupted concurrent index builds, statement boundaries and
//! transaction control: what a deployment with many replicas and a migrate-on-start meets.

mod common;
use common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn spawn_upgrade(dir: &std::path::Path, url: &str, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .args(["--url", url, "upgrade"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn strata")
}

/// The big table every history below indexes: 200,000 rows, created before the runners start.
const BIG_TABLE: &str =
    "CREATE TABLE big (id bigint PRIMARY KEY, a integer NOT NULL, b integer NOT NULL);\n\
     INSERT INTO big SELECT g, g % 1000, g % 7919 FROM generate_series(1, 200000) AS g;";

fn index_is_valid(db: &Db, name: &str) -> bool {
    db.strings(&format!(
        "SELECT i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = '{name}'"
    )) == ["true"]
}

/// Starts eight `strata upgrade` at once, `rounds` times, each round on a fresh database, and
/// checks that all exit 0, every migration is recorded once and both indexes are valid.
fn eight_runners_over_concurrent_indexes(rounds: usize, write: impl Fn(&Project), last: &str) {
    let p = Project::new();
    p.migration("t0", &[], BIG_TABLE, "DROP TABLE big;");
    write(&p);
    for round in 0..rounds {
        let db = Db::pg();
        assert_exit(&strata(p.path(), Some(db.url()), &["upgrade", "t0"]), 0);
        let runners: Vec<Child> = (0..8)
            .map(|_| spawn_upgrade(p.path(), db.url(), &["head"]))
            .collect();
        for runner in runners {
            let out = runner.wait_with_output().unwrap();
            assert_exit(&out, 0);
            assert!(
                !text(&out).contains("deadlock"),
                "round {round}: {}",
                text(&out)
            );
        }
        assert_eq!(db.heads(), [last], "round {round}");
        let ups = db.strings(
            "SELECT revision || ' x' || count(*) FROM strata_history WHERE kind = 'up' GROUP BY revision ORDER BY revision",
        );
        assert!(
            ups.iter().all(|u| u.ends_with(" x1")),
            "round {round}: each migration is applied exactly once: {ups:?}"
        );
        assert!(
            db.strings("SELECT revision FROM strata_history WHERE kind = 'failed'")
                .is_empty(),
            "round {round}: no failed run"
        );
        assert!(index_is_valid(&db, "big_a_idx"), "round {round}");
        assert!(index_is_valid(&db, "big_b_idx"), "round {round}");
    }
}

#[test]
fn eight_runners_apply_concurrent_indexes_once_five_times_over() {
    eight_runners_over_concurrent_indexes(
        5,
        |p| {
            p.migration(
                "t1",
                &["t0"],
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS big_a_idx ON big (a);",
                "DROP INDEX CONCURRENTLY IF EXISTS big_a_idx;",
            );
            p.migration(
                "t2",
                &["t1"],
                "CREATE TABLE slow (id integer);\nSELECT pg_sleep(0.5);",
                "DROP TABLE slow;",
            );
            p.migration(
                "t3",
                &["t2"],
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS big_b_idx ON big (b);",
                "DROP INDEX CONCURRENTLY IF EXISTS big_b_idx;",
            );
        },
        "t3",
    );
}

#[test]
fn eight_runners_apply_concurrent_indexes_on_a_branched_graph_five_times_over() {
    eight_runners_over_concurrent_indexes(
        5,
        |p| {
            // t0 -> a1 (index) -> a2 (slow); t0 -> b1 (index); merge m1 of a2 and b1.
            p.migration(
                "a1",
                &["t0"],
                "CREATE INDEX CONCURRENTLY big_a_idx ON big (a);",
                "DROP INDEX CONCURRENTLY big_a_idx;",
            );
            p.migration(
                "a2",
                &["a1"],
                "CREATE TABLE slow (id integer);\nSELECT pg_sleep(0.5);",
                "DROP TABLE slow;",
            );
            p.migration(
                "b1",
                &["t0"],
                "CREATE INDEX CONCURRENTLY big_b_idx ON big (b);",
                "DROP INDEX CONCURRENTLY big_b_idx;",
            );
            p.migration("m1", &["a2", "b1"], "", "");
        },
        "m1",
    );
}

/// pid of the session running `CREATE INDEX` that waits for another session's snapshot.
fn waiting_index_build(db: &Db) -> Option<String> {
    db.strings(
        "SELECT pid::text FROM pg_stat_activity WHERE query ILIKE 'CREATE INDEX CONCURRENTLY%' \
         AND wait_event_type = 'Lock' AND datname = current_database()",
    )
    .into_iter()
    .next()
}

#[test]
fn a_runner_killed_during_a_concurrent_index_build_is_finished_by_the_next_one() {
    let db = Db::pg();
    let Db::Pg(pg) = &db else { unreachable!() };
    let p = Project::new();
    p.migration("t0", &[], BIG_TABLE, "DROP TABLE big;");
    p.migration(
        "t1",
        &["t0"],
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS big_a_idx ON big (a);",
        "DROP INDEX CONCURRENTLY IF EXISTS big_a_idx;",
    );
    assert_exit(&strata(p.path(), Some(db.url()), &["upgrade", "t0"]), 0);

    // A session holding a snapshot: the concurrent build waits for it before it can finish,
    // so the runner is killed at a known point, with the index already in the catalog.
    let mut holder = pg.client();
    holder
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM big;")
        .unwrap();
    let mut runner = spawn_upgrade(p.path(), db.url(), &["head"]);
    let started = Instant::now();
    let builder = loop {
        if let Some(pid) = waiting_index_build(&db) {
            break pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the index build never started waiting"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    runner.kill().unwrap();
    runner.wait().unwrap();
    // The server notices the dead client (client_connection_check_interval) and ends its
    // session; a server that has not after 15 s is told to, as an operator would.
    let gone = |db: &Db| {
        db.strings(&format!(
            "SELECT pid::text FROM pg_stat_activity WHERE pid = {builder}"
        ))
        .is_empty()
    };
    let started = Instant::now();
    while !gone(&db) && started.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(100));
    }
    if !gone(&db) {
        db.exec(&format!("SELECT pg_terminate_backend({builder})"));
        while !gone(&db) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert!(
        !index_is_valid(&db, "big_a_idx"),
        "the interrupted build leaves an INVALID index behind"
    );
    holder.batch_execute("COMMIT").unwrap();
    assert_eq!(db.heads(), ["t0"]);

    // drift sees the invalid index.
    let drift = strata(p.path(), Some(db.url()), &["drift"]);
    assert!(
        text(&drift).contains("big_a_idx") && text(&drift).contains("INVALID"),
        "{}",
        text(&drift)
    );

    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 0);
    assert!(
        text(&out).contains("INVALID") && text(&out).contains("big_a_idx"),
        "the rerun says it rebuilds the index: {}",
        text(&out)
    );
    assert!(index_is_valid(&db, "big_a_idx"));
    assert_eq!(db.heads(), ["t1"]);
    assert_eq!(
        db.strings("SELECT revision FROM strata_history WHERE kind = 'up' ORDER BY id"),
        ["t0", "t1"]
    );
}

#[test]
fn only_the_invalid_index_a_migration_creates_is_dropped() {
    let db = Db::pg();
    let p = Project::new();
    p.migration(
        "t0",
        &[],
        "CREATE TABLE t (id integer, x integer, y integer);\nINSERT INTO t VALUES (1, 1, 1), (2, 1, 1);",
        "DROP TABLE t;",
    );
    p.migration(
        "t1",
        &["t0"],
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_x_idx ON t (x);",
        "DROP INDEX CONCURRENTLY IF EXISTS t_x_idx;",
    );
    assert_exit(&strata(p.path(), Some(db.url()), &["upgrade", "t0"]), 0);
    // A failed unique build leaves an INVALID index behind, deterministically: one with the
    // name t1 creates, and one of someone else's.
    let Db::Pg(pg) = &db else { unreachable!() };
    let mut client = pg.client();
    for sql in [
        "CREATE UNIQUE INDEX CONCURRENTLY t_x_idx ON t (x)",
        "CREATE UNIQUE INDEX CONCURRENTLY t_y_idx ON t (y)",
    ] {
        assert!(
            client.batch_execute(sql).is_err(),
            "duplicates: {sql} fails"
        );
    }
    assert!(!index_is_valid(&db, "t_x_idx"));

    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 0);
    let said = text(&out);
    assert!(
        said.contains("t_y_idx") && said.contains("leaves it alone"),
        "{said}"
    );
    assert!(index_is_valid(&db, "t_x_idx"), "rebuilt: {said}");
    assert!(
        !index_is_valid(&db, "t_y_idx"),
        "someone else's is left alone"
    );
    assert_eq!(db.heads(), ["t1"]);
}

#[test]
fn a_last_statement_without_a_semicolon_applies() {
    for db in [Db::pg(), Db::sqlite()] {
        let p = Project::new();
        p.migration(
            "a1",
            &[],
            "CREATE TABLE t (id int PRIMARY KEY)",
            "DROP TABLE t",
        );
        p.migration(
            "a2",
            &["a1"],
            "CREATE TABLE u (id int);\nINSERT INTO u VALUES (1) -- a trailing comment, no semicolon",
            "DROP TABLE u",
        );
        let out = strata(p.path(), Some(db.url()), &["upgrade"]);
        assert_exit(&out, 0);
        assert!(db.table_exists("t") && db.table_exists("u"));
        assert_eq!(db.heads(), ["a2"]);
        assert_exit(&strata(p.path(), Some(db.url()), &["downgrade", "base"]), 0);
        assert!(!db.table_exists("t") && !db.table_exists("u"));
    }
}

#[test]
fn an_unterminated_quote_is_reported_at_its_own_line() {
    let db = Db::pg();
    let p = Project::new();
    p.write(
        "a1_quote.sql",
        "-- strata:message quote\n\n-- strata:up\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\nCOMMENT ON TABLE t IS 'it''s\n\n-- strata:down\nDROP TABLE t;\n",
    );
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 3);
    let said = text(&out);
    assert!(said.contains("unterminated quoted string"), "{said}");
    assert!(
        said.contains("a1_quote.sql:6"),
        "blamed on the quote's line: {said}"
    );
    assert!(
        !said.contains("INSERT INTO \"strata_history\"") && !said.contains("strata_history ("),
        "strata's own SQL is not part of the user's statement: {said}"
    );
    assert!(!db.table_exists("t"), "rolled back");
}

#[test]
fn transaction_control_in_a_transactional_migration_is_refused_before_anything_runs() {
    for db in [Db::pg(), Db::sqlite()] {
        let p = Project::new();
        p.migration("a1", &[], "CREATE TABLE a (id int);", "DROP TABLE a;");
        p.migration(
            "a2",
            &["a1"],
            "BEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\nCREATE TABLE c (id int);\nSELECT 1/0;",
            "DROP TABLE c;\nDROP TABLE b;",
        );
        for mode in ["enforce", "off"] {
            p.config(&format!(
                "migrations_dir = \"migrations\"\n[env.development]\nlint = \"{mode}\"\n"
            ));
            let out = strata(p.path(), Some(db.url()), &["upgrade"]);
            assert_exit(&out, 2);
            let said = text(&out);
            assert!(said.contains("a2_m.sql:5"), "the BEGIN's line: {said}");
            assert!(said.contains("a2_m.sql:7"), "the COMMIT's line: {said}");
            assert!(
                said.contains("transaction off"),
                "says how to fix it: {said}"
            );
            for table in ["a", "b", "c", "strata_version", "strata_history"] {
                assert!(!db.table_exists(table), "{table} was not created: {said}");
            }
        }
    }
}

#[test]
fn balanced_transactions_in_a_non_transactional_migration_run() {
    let db = Db::pg();
    let p = Project::new();
    p.write(
        "a1_blocks.sql",
        "-- strata:transaction off\n\n-- strata:up\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\nCREATE TABLE c (id int);\n\n-- strata:down\nDROP TABLE c;\nDROP TABLE b;\n",
    );
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 0);
    assert!(db.table_exists("b") && db.table_exists("c"));
    // An unbalanced one is refused at its line.
    p.write(
        "a2_open.sql",
        "-- strata:revises a1\n-- strata:transaction off\n\n-- strata:up\nBEGIN;\nCREATE TABLE d (id int);\n\n-- strata:down\nDROP TABLE d;\n",
    );
    let out = strata(p.path(), Some(db.url()), &["upgrade"]);
    assert_exit(&out, 2);
    assert!(
        text(&out).contains("a2_open.sql:5") && text(&out).contains("never committed"),
        "{}",
        text(&out)
    );
    assert!(!db.table_exists("d"));
}

#[test]
fn one_lock_whatever_the_version_table_is_called() {
    let db = Db::pg();
    let p = Project::new();
    p.migration(
        "a1",
        &[],
        "CREATE TABLE a (id int);\nSELECT pg_sleep(1.5);",
        "DROP TABLE a;",
    );
    // Two spellings of one table: public.strata_version and strata_version.
    let qualified = tempfile::tempdir().unwrap();
    std::fs::write(
        qualified.path().join("strata.toml"),
        format!(
            "migrations_dir = \"{}\"\nversion_table = \"public.strata_version\"\nhistory_table = \"public.strata_history\"\n",
            p.path().join("migrations").display()
        ),
    )
    .unwrap();
    let first = spawn_upgrade(p.path(), db.url(), &[]);
    std::thread::sleep(Duration::from_millis(300));
    let second = spawn_upgrade(qualified.path(), db.url(), &[]);
    for child in [first, second] {
        let out = child.wait_with_output().unwrap();
        assert_exit(&out, 0);
    }
    assert_eq!(db.events(), ["up a1"], "applied once, no failed run");

    // --sql prints the key the live run computes: the resolved table, not its spelling.
    let sql = stdout(&strata(
        qualified.path(),
        None,
        &["upgrade", "--sql", "--dialect", "postgres"],
    ));
    assert!(sql.contains("to_regclass"), "{sql}");
    assert!(
        sql.contains("SELECT pg_advisory_lock(hashtextextended("),
        "{sql}"
    );
}

#[test]
fn lock_wait_gives_up_naming_the_holder() {
    let db = Db::pg();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id int);", "DROP TABLE a;");
    let Db::Pg(pg) = &db else { unreachable!() };
    // Another runner holds the lock (taken as strata takes it).
    let mut holder = pg.client();
    let pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    let tables = strata_engine::StateTables::default();
    holder
        .batch_execute(&format!(
            "SELECT pg_advisory_lock({})",
            tables.lock_key_sql()
        ))
        .unwrap();
    let started = Instant::now();
    let out = strata(p.path(), Some(db.url()), &["upgrade", "--lock-wait", "1s"]);
    assert_exit(&out, 3);
    assert!(started.elapsed() < Duration::from_secs(20));
    let said = text(&out);
    assert!(
        said.contains("gave up waiting for the runner lock after 1 s"),
        "{said}"
    );
    assert!(
        said.contains(&format!("pid {pid}")),
        "names the holder: {said}"
    );
    assert!(!db.table_exists("a"));
    // Once it is free, the same command goes through.
    holder
        .batch_execute("SELECT pg_advisory_unlock_all()")
        .unwrap();
    assert_exit(
        &strata(p.path(), Some(db.url()), &["upgrade", "--lock-wait", "1s"]),
        0,
    );
    let bad = strata(p.path(), Some(db.url()), &["upgrade", "--lock-wait", "10"]);
    assert_exit(&bad, 2);
    assert!(text(&bad).contains("with a unit"), "{}", text(&bad));
}

#[test]
fn a_runner_of_an_earlier_version_and_this_one_never_run_at_once() {
    // An earlier strata took only the key of the table's spelling: this one takes it too.
    let db = Db::pg();
    let p = Project::new();
    p.migration("a1", &[], "CREATE TABLE a (id int);", "DROP TABLE a;");
    let Db::Pg(pg) = &db else { unreachable!() };
    let mut old = pg.client();
    let tables = strata_engine::StateTables::default();
    old.batch_execute(&format!("SELECT pg_advisory_lock({})", tables.lock_key()))
        .unwrap();
    let out = strata(
        p.path(),
        Some(db.url()),
        &["upgrade", "--lock-wait", "500ms"],
    );
    assert_exit(&out, 3);
    assert!(!db.table_exists("a"));
}
