//! The migrator's policy — plan, lock, re-read, check, apply, record, fail, retry — over real
//! SQLite files (no server), with a wrapper around the SQLite engine that injects faults at a
//! chosen statement.

use std::path::{Path, PathBuf};
use std::time::Duration;
use strata_engine::migrator::{EngineError, MigrationFailure, Reporter, Silent};
use strata_engine::state::{HistoryRow, StateTables};
use strata_engine::{Database, DbError, Migrator, Settings};
use strata_files::Migrations;
use strata_graph::Step;
use strata_sqlite::Sqlite;

/// What the wrapper does when it meets a statement containing `marker`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Nothing: a plain SQLite database.
    None,
    /// Fails with the given SQLSTATE-like code, `times` times.
    Fail { code: &'static str, times: u32 },
    /// Runs `COMMIT` first (as a statement ending the migration's transaction would), then fails.
    CommitThenFail,
}

/// A real SQLite database with a fault injected at a chosen statement, and a hook run before a
/// chosen `BEGIN IMMEDIATE` (to let "another runner" act at that moment).
struct Faulty {
    inner: Sqlite,
    marker: &'static str,
    fault: Fault,
    injected: u32,
    /// Called once, before the n-th `BEGIN IMMEDIATE` (1-based).
    before_begin: Option<(u32, Box<dyn FnMut()>)>,
    begins: u32,
    sent: Vec<String>,
}

impl Faulty {
    fn new(url: &str) -> Faulty {
        Faulty {
            inner: Sqlite::open(url, Duration::from_secs(5)).unwrap(),
            marker: "\u{0}never",
            fault: Fault::None,
            injected: 0,
            before_begin: None,
            begins: 0,
            sent: Vec::new(),
        }
    }

    fn failing(url: &str, marker: &'static str, fault: Fault) -> Faulty {
        Faulty {
            marker,
            fault,
            ..Faulty::new(url)
        }
    }
}

impl Database for Faulty {
    fn dialect(&self) -> strata_core::Dialect {
        self.inner.dialect()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn user(&mut self) -> Result<Option<String>, DbError> {
        self.inner.user()
    }
    fn server_version(&mut self) -> Result<u32, DbError> {
        self.inner.server_version()
    }
    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.sent.push(sql.to_owned());
        if sql.starts_with("BEGIN IMMEDIATE") {
            self.begins += 1;
            if let Some((at, hook)) = &mut self.before_begin {
                if *at == self.begins {
                    hook();
                }
            }
        }
        if sql.contains(self.marker) {
            match self.fault {
                Fault::None => {}
                Fault::Fail { code, times } if self.injected < times => {
                    self.injected += 1;
                    return Err(DbError {
                        code: Some(code.to_owned()),
                        ..DbError::msg(format!("injected failure {code}"))
                    });
                }
                Fault::Fail { .. } => {}
                Fault::CommitThenFail => {
                    self.inner.execute("COMMIT;")?;
                    return Err(DbError::msg("injected failure after a COMMIT"));
                }
            }
        }
        self.inner.execute(sql)
    }
    fn state_tables_exist(&mut self, tables: &StateTables) -> Result<bool, DbError> {
        self.inner.state_tables_exist(tables)
    }
    fn read_heads(&mut self, tables: &StateTables) -> Result<Vec<String>, DbError> {
        self.inner.read_heads(tables)
    }
    fn read_history(&mut self, tables: &StateTables) -> Result<Vec<HistoryRow>, DbError> {
        self.inner.read_history(tables)
    }
    fn lock(
        &mut self,
        tables: &StateTables,
        limit: Option<Duration>,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<(), DbError> {
        self.inner.lock(tables, limit, on_wait)
    }
    fn unlock(&mut self, tables: &StateTables) -> Result<(), DbError> {
        self.inner.unlock(tables)
    }
    fn begin_sql(&self) -> &'static str {
        self.inner.begin_sql()
    }
    fn lock_is_per_transaction(&self) -> bool {
        self.inner.lock_is_per_transaction()
    }
    fn rollback(&mut self) -> Result<bool, DbError> {
        self.inner.rollback()
    }
}

/// A project folder with a migrations directory and a SQLite database file.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        Fixture { dir }
    }

    fn migrations_dir(&self) -> PathBuf {
        self.dir.path().join("migrations")
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("db.sqlite").display())
    }

    /// Writes `<id>_m.sql` revising `parents`.
    fn migration(&self, id: &str, parents: &[&str], up: &str, down: &str) {
        let mut text = String::new();
        if !parents.is_empty() {
            text.push_str(&format!("-- strata:revises {}\n", parents.join(" ")));
        }
        text.push_str(&format!("-- strata:up\n{up}\n-- strata:down\n{down}\n"));
        write(&self.migrations_dir(), &format!("{id}_m.sql"), &text);
    }

    fn load(&self) -> Migrations {
        strata_files::load(&self.migrations_dir(), self.dir.path()).unwrap()
    }

    fn db(&self) -> Faulty {
        Faulty::new(&self.url())
    }

    fn table_exists(&self, table: &str) -> bool {
        let mut db = Sqlite::open(&self.url(), Duration::from_secs(5)).unwrap();
        db.execute(&format!("SELECT 1 FROM {table};")).is_ok()
    }

    /// `kind revision` of every history row, in order.
    fn events(&self) -> Vec<String> {
        let mut db = Sqlite::open(&self.url(), Duration::from_secs(5)).unwrap();
        db.read_history(&StateTables::default())
            .unwrap()
            .into_iter()
            .map(|r| format!("{} {}", r.kind, r.revision))
            .collect()
    }

    fn heads(&self) -> Vec<String> {
        let mut db = Sqlite::open(&self.url(), Duration::from_secs(5)).unwrap();
        db.read_heads(&StateTables::default()).unwrap()
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn failure(err: EngineError) -> Box<MigrationFailure> {
    match err {
        EngineError::MigrationFailed(failure) => failure,
        other => panic!("expected a migration failure, got {other}"),
    }
}

/// Three migrations a1 → a2 → a3, each creating a table.
fn chain(f: &Fixture) {
    f.migration("a1", &[], "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    f.migration("a2", &["a1"], "CREATE TABLE t2 (id int);", "DROP TABLE t2;");
    f.migration("a3", &["a2"], "CREATE TABLE t3 (id int);", "DROP TABLE t3;");
}

#[test]
fn upgrade_applies_in_graph_order_and_records_each_step() {
    let f = Fixture::new();
    chain(&f);
    let m = f.load();
    let mut db = f.db();
    let applied = Migrator::new(&mut db, &m, Settings::default())
        .upgrade("head", &mut Silent)
        .unwrap();
    let ids: Vec<&str> = applied.iter().map(|a| a.revision.as_str()).collect();
    assert_eq!(ids, ["a1", "a2", "a3"]);
    assert_eq!(f.events(), ["up a1", "up a2", "up a3"]);
    assert_eq!(f.heads(), ["a3"]);
    // Nothing to do the second time; nothing recorded.
    let again = Migrator::new(&mut db, &m, Settings::default())
        .upgrade("head", &mut Silent)
        .unwrap();
    assert!(again.is_empty());
    assert_eq!(f.events().len(), 3);
}

#[test]
fn downgrade_reverts_and_records_down_rows() {
    let f = Fixture::new();
    chain(&f);
    let m = f.load();
    let mut db = f.db();
    let mut migrator = Migrator::new(&mut db, &m, Settings::default());
    migrator.upgrade("head", &mut Silent).unwrap();
    let reverted = migrator.downgrade("a1", &mut Silent).unwrap();
    assert_eq!(reverted.len(), 2);
    assert_eq!(migrator.heads().unwrap(), ["a1"]);
    drop(migrator);
    assert!(f.table_exists("t1") && !f.table_exists("t2") && !f.table_exists("t3"));
    assert_eq!(
        f.events(),
        ["up a1", "up a2", "up a3", "down a3", "down a2"]
    );
}

#[test]
fn an_unrunnable_plan_is_refused_before_anything_changes() {
    let f = Fixture::new();
    f.migration("a1", &[], "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    // A schema change with an empty down.
    f.migration("a2", &["a1"], "CREATE TABLE t2 (id int);", "");
    let m = f.load();
    let mut db = f.db();
    let err = Migrator::new(&mut db, &m, Settings::default())
        .upgrade("head", &mut Silent)
        .unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("empty-downgrade"), "{err}");
    // Not even strata's tables were created.
    assert!(!f.table_exists("strata_version") && !f.table_exists("t1"));
    assert!(db.sent.is_empty(), "nothing sent: {:?}", db.sent);

    // An unknown target likewise.
    let f = Fixture::new();
    chain(&f);
    let m = f.load();
    let mut db = f.db();
    let err = Migrator::new(&mut db, &m, Settings::default())
        .upgrade("zz", &mut Silent)
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(db.sent.is_empty());
}

/// A migration that only validates constraints has nothing for its down to undo: an empty down
/// is accepted there, and only there.
#[test]
fn validating_constraints_alone_does_not_change_the_schema() {
    use strata_engine::migrator::changes_schema;
    let sql = |text: &str| strata_core::sql::split(text, 1);
    assert!(!changes_schema(&sql(
        "SET LOCAL lock_timeout = '5s';\nALTER TABLE \"public\".\"t\" VALIDATE CONSTRAINT \"t_n_check\";"
    )));
    assert!(!changes_schema(&sql(
        "ALTER DOMAIN d VALIDATE CONSTRAINT c;"
    )));
    assert!(changes_schema(&sql(
        "ALTER TABLE t VALIDATE CONSTRAINT c;\nALTER TABLE t ALTER COLUMN x SET NOT NULL;"
    )));
    assert!(changes_schema(&sql(
        "ALTER TABLE t ADD CONSTRAINT c CHECK (x > 0) NOT VALID;"
    )));
}

#[test]
fn downgrading_past_an_irreversible_migration_is_refused_with_its_reason() {
    let f = Fixture::new();
    f.migration("a1", &[], "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    write(
        &f.migrations_dir(),
        "a2_m.sql",
        "-- strata:revises a1\n-- strata:irreversible the old rows are gone\n-- strata:up\nDELETE FROM t1;\n",
    );
    let m = f.load();
    let mut db = f.db();
    let mut migrator = Migrator::new(&mut db, &m, Settings::default());
    migrator.upgrade("head", &mut Silent).unwrap();
    let err = migrator.downgrade("base", &mut Silent).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("the old rows are gone"), "{err}");
    assert_eq!(migrator.heads().unwrap(), ["a2"]);
}

#[test]
fn a_failing_migration_is_rolled_back_recorded_and_stops_the_run() {
    let f = Fixture::new();
    f.migration("a1", &[], "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    f.migration(
        "a2",
        &["a1"],
        "CREATE TABLE t2 (id int);\nINSERT INTO nowhere VALUES (1);",
        "DROP TABLE t2;",
    );
    f.migration("a3", &["a2"], "CREATE TABLE t3 (id int);", "DROP TABLE t3;");
    let m = f.load();
    let mut db = f.db();
    let failure = failure(
        Migrator::new(&mut db, &m, Settings::default())
            .upgrade("head", &mut Silent)
            .unwrap_err(),
    );
    assert_eq!(failure.revision, "a2");
    assert_eq!(failure.applied.len(), 1, "a1 stays applied");
    assert!(failure.rolled_back && failure.recorded);
    let statement = failure.statement.as_ref().expect("the failing statement");
    assert_eq!(statement.line, 4, "the INSERT's line in the file");
    assert!(f.table_exists("t1") && !f.table_exists("t2") && !f.table_exists("t3"));
    assert_eq!(f.events(), ["up a1", "failed a2"]);
    assert_eq!(f.heads(), ["a1"]);
}

#[test]
fn a_failure_after_the_transaction_ended_is_not_called_a_rollback() {
    let f = Fixture::new();
    f.migration("a1", &[], "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    f.migration(
        "a2",
        &["a1"],
        "CREATE TABLE b (id int);\nSELECT 'boom';",
        "DROP TABLE b;",
    );
    let m = f.load();
    let mut db = Faulty::failing(&f.url(), "'boom'", Fault::CommitThenFail);
    let failure = failure(
        Migrator::new(&mut db, &m, Settings::default())
            .upgrade("head", &mut Silent)
            .unwrap_err(),
    );
    assert_eq!(failure.revision, "a2");
    assert!(
        !failure.rolled_back,
        "b was committed: no rollback happened"
    );
    assert!(f.table_exists("b"));
    assert_eq!(f.heads(), ["a1"], "a2 was not recorded as applied");
}

#[test]
fn a_lock_timeout_is_retried_and_then_succeeds() {
    let f = Fixture::new();
    f.migration("a1", &[], "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    let m = f.load();
    let mut db = Faulty::failing(
        &f.url(),
        "CREATE TABLE t1",
        Fault::Fail {
            code: "55P03",
            times: 1,
        },
    );
    struct Retries(Vec<u32>);
    impl Reporter for Retries {
        fn retrying(&mut self, _: &Step, attempt: u32, _: Duration, _: &DbError) {
            self.0.push(attempt);
        }
    }
    let mut retries = Retries(Vec::new());
    let settings = Settings {
        lock_retries: 2,
        ..Settings::default()
    };
    Migrator::new(&mut db, &m, settings)
        .upgrade("head", &mut retries)
        .unwrap();
    assert_eq!(retries.0, [1]);
    assert_eq!(f.events(), ["up a1"], "recorded once, no failed row");

    // Without retries the same fault fails the run.
    let f = Fixture::new();
    f.migration("a1", &[], "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    let m = f.load();
    let mut db = Faulty::failing(
        &f.url(),
        "CREATE TABLE t1",
        Fault::Fail {
            code: "55P03",
            times: 1,
        },
    );
    let failure = failure(
        Migrator::new(&mut db, &m, Settings::default())
            .upgrade("head", &mut Silent)
            .unwrap_err(),
    );
    assert!(failure.error.is_lock_timeout());
    assert_eq!(f.events(), ["failed a1"]);
}

#[test]
fn a_runner_that_finds_the_state_moved_plans_again() {
    // Between this runner's plan and its first transaction, another runner applies a1.
    let f = Fixture::new();
    chain(&f);
    let m = f.load();
    let mut db = f.db();
    let url = f.url();
    let other = f.load();
    db.before_begin = Some((
        1,
        Box::new(move || {
            let mut other_db = Sqlite::open(&url, Duration::from_secs(5)).unwrap();
            Migrator::new(&mut other_db, &other, Settings::default())
                .upgrade("a1", &mut Silent)
                .unwrap();
        }),
    ));
    let applied = Migrator::new(&mut db, &m, Settings::default())
        .upgrade("head", &mut Silent)
        .unwrap();
    let ids: Vec<&str> = applied.iter().map(|a| a.revision.as_str()).collect();
    assert_eq!(ids, ["a2", "a3"], "a1 was applied by the other runner");
    assert_eq!(f.events(), ["up a1", "up a2", "up a3"], "each applied once");
}

#[test]
fn single_transaction_rolls_back_the_whole_run() {
    let f = Fixture::new();
    f.migration("a1", &[], "CREATE TABLE t1 (id int);", "DROP TABLE t1;");
    f.migration(
        "a2",
        &["a1"],
        "CREATE TABLE t2 (id int);\nINSERT INTO nowhere VALUES (1);",
        "DROP TABLE t2;",
    );
    let m = f.load();
    let mut db = f.db();
    let settings = Settings {
        single_transaction: true,
        ..Settings::default()
    };
    let failure = failure(
        Migrator::new(&mut db, &m, settings)
            .upgrade("head", &mut Silent)
            .unwrap_err(),
    );
    assert!(failure.applied.is_empty(), "nothing stays applied");
    assert!(failure.rolled_back);
    assert!(!f.table_exists("t1") && !f.table_exists("t2"));
    assert_eq!(f.events(), ["failed a2"]);
}

#[test]
fn a_non_transactional_failure_names_the_statements_that_ran() {
    let f = Fixture::new();
    write(
        &f.migrations_dir(),
        "a1_m.sql",
        "-- strata:transaction off\n-- strata:up\nCREATE TABLE t1 (id int);\nCREATE TABLE t2 (id int);\nINSERT INTO nowhere VALUES (1);\n-- strata:down\nDROP TABLE t2;\nDROP TABLE t1;\n",
    );
    let m = f.load();
    let mut db = f.db();
    let failure = failure(
        Migrator::new(&mut db, &m, Settings::default())
            .upgrade("head", &mut Silent)
            .unwrap_err(),
    );
    assert_eq!(
        failure.ran_outside_transaction.as_deref(),
        Some(&[3, 4][..])
    );
    assert!(!failure.rolled_back);
    assert!(
        f.table_exists("t1") && f.table_exists("t2"),
        "what ran stays"
    );
    assert!(f.heads().is_empty(), "not recorded as applied");
    assert_eq!(f.events(), ["failed a1"]);
}

#[test]
fn stamp_moves_the_heads_without_running_sql() {
    let f = Fixture::new();
    chain(&f);
    let m = f.load();
    let mut db = f.db();
    let heads = Migrator::new(&mut db, &m, Settings::default())
        .stamp(&["a2".to_owned()], "restored from a dump")
        .unwrap();
    assert_eq!(heads, ["a2"]);
    assert_eq!(f.heads(), ["a2"]);
    assert_eq!(f.events(), ["stamp a2"]);
    assert!(!f.table_exists("t1"), "no migration SQL ran");
    // The next upgrade starts from the stamp.
    let applied = Migrator::new(&mut db, &m, Settings::default())
        .upgrade("head", &mut Silent)
        .unwrap();
    assert_eq!(applied.len(), 1);
    assert!(f.table_exists("t3"));
}

#[test]
fn a_statement_without_its_semicolon_is_sent_as_written() {
    let f = Fixture::new();
    f.migration("a1", &[], "CREATE TABLE t1 (id int)", "DROP TABLE t1");
    let m = f.load();
    let mut db = f.db();
    Migrator::new(&mut db, &m, Settings::default())
        .upgrade("head", &mut Silent)
        .unwrap();
    assert!(
        db.sent.iter().any(|s| s == "CREATE TABLE t1 (id int)"),
        "the statement is sent on its own: {:?}",
        db.sent
    );
    assert_eq!(f.heads(), ["a1"]);
}
