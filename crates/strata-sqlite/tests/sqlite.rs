use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use strata_engine::state::{
    create_tables_sql, insert_event_sql, set_heads_sql, EventKind, NewEvent, StateTables,
};
use strata_engine::Database;
use strata_sqlite::Sqlite;
use strata_testkit::TempSqlite;

const BUSY: Duration = Duration::from_secs(5);

#[test]
fn opens_creates_the_file_and_runs_multi_statement_text() {
    let tmp = TempSqlite::new();
    assert!(!tmp.path.exists());
    let mut db = Sqlite::open(&tmp.url, BUSY).unwrap();
    assert!(tmp.path.exists());
    assert_eq!(db.describe(), tmp.url);
    assert_eq!(db.user().unwrap(), None);
    assert!(db.server_version().unwrap() >= 3_038_000);
    assert_eq!(db.begin_sql(), "BEGIN IMMEDIATE");
    assert!(db.lock_is_per_transaction());
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t (v) VALUES ('a');\nINSERT INTO t (v) VALUES ('b');")
        .unwrap();
    let n: i64 = db
        .connection()
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    // foreign keys are enforced
    let fk: i64 = db
        .connection()
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    // rollback journal, not WAL
    let mode: String = db
        .connection()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
    drop(db);
    // reopening sees the data
    let db = Sqlite::open(&format!("sqlite:{}", tmp.path.display()), BUSY).unwrap();
    let n: i64 = db
        .connection()
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(db.path(), Some(tmp.path.as_path()));
}

#[test]
fn in_memory() {
    let mut db = Sqlite::open("sqlite::memory:", BUSY).unwrap();
    db.execute("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    assert_eq!(db.describe(), "sqlite::memory:");
    assert_eq!(db.path(), None);
}

#[test]
fn relative_paths_are_relative_to_the_current_directory() {
    let tmp = TempSqlite::new();
    let cwd = std::env::current_dir().unwrap();
    // ../../..<tmp path> from the current directory
    let ups = cwd.components().count() - 1;
    let relative: std::path::PathBuf = (0..ups)
        .map(|_| "..")
        .collect::<std::path::PathBuf>()
        .join(tmp.path.strip_prefix("/").unwrap());
    assert!(relative.is_relative());
    let _db = Sqlite::open(&format!("sqlite://{}", relative.display()), BUSY).unwrap();
    assert!(tmp.path.exists());
}

#[test]
fn missing_parent_directory_is_an_error_and_nothing_is_created() {
    let tmp = TempSqlite::new();
    let missing = tmp.dir().join("no/such/dir/x.db");
    let err = Sqlite::open(&format!("sqlite://{}", missing.display()), BUSY)
        .err()
        .unwrap();
    assert!(err.connection);
    assert!(err.message.contains("does not exist"), "{}", err.message);
    assert!(
        err.message
            .contains(&tmp.dir().join("no/such/dir").display().to_string()),
        "{}",
        err.message
    );
    assert!(!tmp.dir().join("no").exists());
}

#[test]
fn a_file_that_is_not_a_database_fails_on_open() {
    let tmp = TempSqlite::new();
    std::fs::write(&tmp.path, "this is not a database, just some text that is long enough ........................................").unwrap();
    let err = Sqlite::open(&tmp.url, BUSY).err().unwrap();
    assert_eq!(err.code.as_deref(), Some("SQLITE_NOTADB"), "{err:?}");
    assert!(err.connection);
    assert!(
        err.message.starts_with(&format!("cannot open {}", tmp.url)),
        "{}",
        err.message
    );
}

#[test]
fn errors_carry_extended_codes_and_positions() {
    let tmp = TempSqlite::new();
    let mut db = Sqlite::open(&tmp.url, BUSY).unwrap();
    db.execute("CREATE TABLE u (email TEXT UNIQUE, name TEXT NOT NULL);")
        .unwrap();
    db.execute("INSERT INTO u VALUES ('a', 'x');").unwrap();

    let err = db.execute("INSERT INTO u VALUES ('a', 'y');").unwrap_err();
    assert_eq!(err.code.as_deref(), Some("SQLITE_CONSTRAINT_UNIQUE"));
    assert!(
        err.message.contains("UNIQUE constraint failed: u.email"),
        "{}",
        err.message
    );
    assert!(!err.connection);

    let err = db.execute("INSERT INTO u VALUES ('b', NULL);").unwrap_err();
    assert_eq!(err.code.as_deref(), Some("SQLITE_CONSTRAINT_NOTNULL"));

    let sql = "SELECT 1;\nSELECT 2;\nSELEC 3;";
    let err = db.execute(sql).unwrap_err();
    assert_eq!(err.code.as_deref(), Some("SQLITE_ERROR"));
    assert!(err.message.contains("syntax error"), "{}", err.message);
    let pos = err.position.expect("a position");
    assert_eq!(&sql[pos - 1..pos + 4], "SELEC");

    let err = db.execute("SELECT * FROM missing;").unwrap_err();
    assert!(
        err.message.contains("no such table: missing"),
        "{}",
        err.message
    );
}

fn event<'a>(revision: &'a str, parents: &'a [String], kind: EventKind) -> NewEvent<'a> {
    NewEvent {
        revision,
        parents,
        kind,
        message: Some("it's a message"),
        checksum: Some("abc"),
        applied_by: "tester",
        execution_ms: Some(12),
        error: None,
    }
}

fn round_trip(db: &mut Sqlite, tables: &StateTables) {
    assert!(!db.state_tables_exist(tables).unwrap());
    assert!(db.read_heads(tables).unwrap().is_empty());
    assert!(db.read_history(tables).unwrap().is_empty());
    db.execute(&create_tables_sql(strata_core::Dialect::Sqlite, tables))
        .unwrap();
    assert!(db.state_tables_exist(tables).unwrap());
    assert!(db.read_heads(tables).unwrap().is_empty());

    let none: Vec<String> = Vec::new();
    let parents = vec!["r1".to_owned()];
    db.execute(db.begin_sql()).unwrap();
    db.execute(&insert_event_sql(
        strata_core::Dialect::Sqlite,
        tables,
        &event("r1", &none, EventKind::Up),
    ))
    .unwrap();
    db.execute(&set_heads_sql(tables, &[], &["r1"])).unwrap();
    db.execute("COMMIT").unwrap();
    db.execute(db.begin_sql()).unwrap();
    db.execute(&insert_event_sql(
        strata_core::Dialect::Sqlite,
        tables,
        &event("r2", &parents, EventKind::Up),
    ))
    .unwrap();
    db.execute(&set_heads_sql(tables, &["r1"], &["r2", "r3"]))
        .unwrap();
    db.execute("COMMIT").unwrap();

    assert_eq!(db.read_heads(tables).unwrap(), vec!["r2", "r3"]);
    let history = db.read_history(tables).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].revision, "r1");
    assert_eq!(history[0].parents, "");
    assert_eq!(history[1].parents, "r1");
    assert_eq!(history[1].kind, "up");
    assert_eq!(history[1].message.as_deref(), Some("it's a message"));
    assert_eq!(history[1].checksum.as_deref(), Some("abc"));
    assert_eq!(history[1].applied_by, "tester");
    assert_eq!(history[1].execution_ms, Some(12));
    assert_eq!(history[1].error, None);
    assert!(history[0].id < history[1].id);
    let at = &history[0].applied_at;
    assert_eq!(at.len(), "2026-11-25T14:30:00.123Z".len(), "{at}");
    assert!(at.ends_with('Z') && at.as_bytes()[10] == b'T', "{at}");
}

#[test]
fn state_tables_round_trip() {
    let tmp = TempSqlite::new();
    let mut db = Sqlite::open(&tmp.url, BUSY).unwrap();
    round_trip(&mut db, &StateTables::default());
}

#[test]
fn state_tables_in_main_and_attached_schemas() {
    let tmp = TempSqlite::new();
    let mut db = Sqlite::open(&tmp.url, BUSY).unwrap();
    round_trip(
        &mut db,
        &StateTables::new("main.my_version", "main.my_history"),
    );
    let aux = tmp.dir().join("aux.db");
    db.execute(&format!(
        "ATTACH DATABASE {} AS aux",
        strata_core::quote_literal(&aux.display().to_string())
    ))
    .unwrap();
    round_trip(&mut db, &StateTables::new("aux.v", "aux.h"));
    // the unqualified names are not in aux
    assert!(!db.state_tables_exist(&StateTables::new("v", "h")).unwrap());
}

#[test]
fn hostile_table_names_round_trip() {
    let tmp = TempSqlite::new();
    let mut db = Sqlite::open(&tmp.url, BUSY).unwrap();
    round_trip(
        &mut db,
        &StateTables::new(r#"a"; DROP TABLE x; --"#, "it's history"),
    );
}

#[test]
fn begin_immediate_serialises_writers() {
    let tmp = TempSqlite::new();
    let mut first = Sqlite::open(&tmp.url, BUSY).unwrap();
    first.execute("CREATE TABLE t (x INTEGER)").unwrap();
    first.execute(first.begin_sql()).unwrap();
    first.execute("INSERT INTO t VALUES (1)").unwrap();

    let url = tmp.url.clone();
    let (started_tx, started_rx) = mpsc::channel();
    let second = thread::spawn(move || {
        let mut db = Sqlite::open(&url, BUSY).unwrap();
        started_tx.send(()).unwrap();
        let start = Instant::now();
        db.execute(db.begin_sql()).unwrap();
        let waited = start.elapsed();
        let seen: i64 = db
            .connection()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        db.execute("INSERT INTO t VALUES (2); COMMIT;").unwrap();
        (waited, seen)
    });
    started_rx.recv().unwrap();
    thread::sleep(Duration::from_millis(400));
    first.execute("COMMIT").unwrap();
    let (waited, seen) = second.join().unwrap();
    assert!(
        waited >= Duration::from_millis(300),
        "the second writer did not wait: {waited:?}"
    );
    assert!(waited < BUSY);
    assert_eq!(seen, 1, "the second writer must see the first one's commit");
    let total: i64 = first
        .connection()
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(total, 2);
}

#[test]
fn a_writer_gives_up_after_the_busy_timeout() {
    let tmp = TempSqlite::new();
    let mut first = Sqlite::open(&tmp.url, BUSY).unwrap();
    first.execute("BEGIN IMMEDIATE").unwrap();
    let mut second = Sqlite::open(&tmp.url, Duration::from_millis(200)).unwrap();
    let start = Instant::now();
    let err = second.execute("BEGIN IMMEDIATE").unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert_eq!(err.code.as_deref(), Some("SQLITE_BUSY"), "{err:?}");
    assert!(
        err.hint.as_deref().unwrap_or("").contains("200 ms"),
        "{err:?}"
    );
    first.execute("ROLLBACK").unwrap();
    second.execute("BEGIN IMMEDIATE; ROLLBACK;").unwrap();
}

#[test]
fn lock_and_unlock_are_no_ops() {
    let tmp = TempSqlite::new();
    let mut db = Sqlite::open(&tmp.url, BUSY).unwrap();
    let tables = StateTables::default();
    let mut waited = false;
    db.lock(&tables, None, &mut |_| waited = true).unwrap();
    db.unlock(&tables).unwrap();
    assert!(!waited);
}

#[test]
fn the_connection_can_move_to_another_thread() {
    fn send<T: Send>() {}
    send::<Sqlite>();
}
