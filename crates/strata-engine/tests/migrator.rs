//! The migrator's policy over real SQLite files (no server), with a wrapper around the SQLite
//! engine that injects a fault at a chosen statement.

use std::path::Path;
use std::time::Duration;
use strata_engine::migrator::{EngineError, Silent};
use strata_engine::state::{HistoryRow, StateTables};
use strata_engine::{Database, DbError, Migrator, Settings};
use strata_sqlite::Sqlite;

/// A real SQLite database whose `execute` misbehaves once it meets `marker`: it runs `COMMIT`
/// first (as a statement that ends the migration's transaction would), then fails.
struct CommitThenFail {
    inner: Sqlite,
    marker: &'static str,
}

impl Database for CommitThenFail {
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
        if sql.contains(self.marker) {
            self.inner.execute("COMMIT;")?;
            return Err(DbError::msg("injected failure after a COMMIT"));
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

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn a_failure_after_the_transaction_ended_is_not_called_a_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    write(
        &migrations,
        "a1_ok.sql",
        "-- strata:up\nCREATE TABLE a (id int);\n-- strata:down\nDROP TABLE a;\n",
    );
    write(
        &migrations,
        "a2_bad.sql",
        "-- strata:revises a1\n-- strata:up\nCREATE TABLE b (id int);\nSELECT 'boom';\n-- strata:down\nDROP TABLE b;\n",
    );
    let loaded = strata_files::load(&migrations, dir.path()).unwrap();
    let url = format!("sqlite://{}", dir.path().join("db.sqlite").display());
    let mut db = CommitThenFail {
        inner: Sqlite::open(&url, Duration::from_secs(5)).unwrap(),
        marker: "'boom'",
    };
    let err = Migrator::new(&mut db, &loaded, Settings::default())
        .upgrade("head", &mut Silent)
        .unwrap_err();
    let EngineError::MigrationFailed(failure) = err else {
        panic!("expected a migration failure, got {err}");
    };
    assert_eq!(failure.revision, "a2");
    assert!(
        !failure.rolled_back,
        "b was committed: no rollback happened"
    );
    assert!(table_exists(&url, "b"));
    assert_eq!(failure.applied.len(), 1);

    // An ordinary failure inside the transaction is rolled back, and says so.
    let mut db = CommitThenFail {
        inner: Sqlite::open(&url, Duration::from_secs(5)).unwrap(),
        marker: "never sent",
    };
    let heads = db.read_heads(&StateTables::default()).unwrap();
    assert_eq!(heads, ["a1"], "a2 was not recorded");
    db.inner.execute("DROP TABLE b;").unwrap();
    write(
        &migrations,
        "a2_bad.sql",
        "-- strata:revises a1\n-- strata:up\nCREATE TABLE b (id int);\nSELECT * FROM no_such_table;\n-- strata:down\nDROP TABLE b;\n",
    );
    let loaded = strata_files::load(&migrations, dir.path()).unwrap();
    let err = Migrator::new(&mut db, &loaded, Settings::default())
        .upgrade("head", &mut Silent)
        .unwrap_err();
    let EngineError::MigrationFailed(failure) = err else {
        panic!("expected a migration failure, got {err}");
    };
    assert!(failure.rolled_back);
    assert!(!table_exists(&url, "b"), "b was rolled back");
}

/// Whether `table` exists in the SQLite file, read through a fresh connection.
fn table_exists(url: &str, table: &str) -> bool {
    let mut db = Sqlite::open(url, Duration::from_secs(5)).unwrap();
    db.execute(&format!("SELECT 1 FROM {table};")).is_ok()
}
