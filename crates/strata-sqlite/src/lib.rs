//! strata's SQLite engine (rusqlite, bundled SQLite) implementing [`strata_engine::Database`].
//!
//! - One runner at a time: migrations open with `BEGIN IMMEDIATE`, which takes the database's
//!   write lock at once. A second runner waits there for up to the busy timeout (SQLite's busy
//!   handler retries while another connection holds the lock), then fails with `SQLITE_BUSY`.
//!   [`Database::lock`] and [`Database::unlock`] are therefore no-ops and the lock is per
//!   transaction: the engine re-reads the state after each `BEGIN IMMEDIATE`.
//! - The journal stays in SQLite's default rollback mode (not WAL): WAL leaves `-wal` and `-shm`
//!   files beside the database, which users do not expect from a migration tool, changes the file
//!   for every other program using it, and cannot work on network file systems. Migrations are
//!   short write transactions, where WAL gains nothing.
//! - `PRAGMA foreign_keys = ON` for every connection, so migrations see the constraints enforced.

mod introspect;
pub use introspect::introspect;

use rusqlite::{ffi, Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;
use strata_core::{quote_ident, Dialect, QualifiedName};
use strata_engine::state::{HistoryRow, StateTables};
use strata_engine::{Database, DbError};

/// A connection to a SQLite database.
pub struct Sqlite {
    conn: Connection,
    url: String,
    busy_timeout: Duration,
}

/// Where a `sqlite:` URL points.
#[derive(Debug, PartialEq, Eq)]
enum Location {
    Memory,
    File(PathBuf),
}

fn parse_url(url: &str) -> Result<Location, String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or("expected a URL starting with sqlite:// or sqlite:")?;
    if rest == ":memory:" {
        return Ok(Location::Memory);
    }
    if rest.is_empty() {
        return Err("the URL names no file (use sqlite://PATH or sqlite::memory:)".into());
    }
    if rest.contains('?') {
        return Err("query parameters are not supported in sqlite URLs".into());
    }
    Ok(Location::File(PathBuf::from(rest)))
}

/// The name of an extended (or else primary) SQLite result code, e.g. `SQLITE_CONSTRAINT_UNIQUE`.
fn code_name(extended: i32) -> Option<&'static str> {
    macro_rules! names {
        ($($name:ident),* $(,)?) => {
            &[$((ffi::$name, stringify!($name))),*]
        };
    }
    const EXTENDED: &[(i32, &str)] = names!(
        SQLITE_ERROR_MISSING_COLLSEQ,
        SQLITE_ERROR_RETRY,
        SQLITE_ERROR_SNAPSHOT,
        SQLITE_IOERR_READ,
        SQLITE_IOERR_SHORT_READ,
        SQLITE_IOERR_WRITE,
        SQLITE_IOERR_FSYNC,
        SQLITE_IOERR_DIR_FSYNC,
        SQLITE_IOERR_TRUNCATE,
        SQLITE_IOERR_FSTAT,
        SQLITE_IOERR_UNLOCK,
        SQLITE_IOERR_RDLOCK,
        SQLITE_IOERR_DELETE,
        SQLITE_IOERR_BLOCKED,
        SQLITE_IOERR_NOMEM,
        SQLITE_IOERR_ACCESS,
        SQLITE_IOERR_CHECKRESERVEDLOCK,
        SQLITE_IOERR_LOCK,
        SQLITE_IOERR_CLOSE,
        SQLITE_IOERR_DIR_CLOSE,
        SQLITE_IOERR_SHMOPEN,
        SQLITE_IOERR_SHMSIZE,
        SQLITE_IOERR_SHMLOCK,
        SQLITE_IOERR_SHMMAP,
        SQLITE_IOERR_SEEK,
        SQLITE_IOERR_DELETE_NOENT,
        SQLITE_IOERR_MMAP,
        SQLITE_IOERR_GETTEMPPATH,
        SQLITE_IOERR_CONVPATH,
        SQLITE_IOERR_VNODE,
        SQLITE_IOERR_AUTH,
        SQLITE_IOERR_BEGIN_ATOMIC,
        SQLITE_IOERR_COMMIT_ATOMIC,
        SQLITE_IOERR_ROLLBACK_ATOMIC,
        SQLITE_IOERR_DATA,
        SQLITE_IOERR_CORRUPTFS,
        SQLITE_LOCKED_SHAREDCACHE,
        SQLITE_LOCKED_VTAB,
        SQLITE_BUSY_RECOVERY,
        SQLITE_BUSY_SNAPSHOT,
        SQLITE_BUSY_TIMEOUT,
        SQLITE_CANTOPEN_NOTEMPDIR,
        SQLITE_CANTOPEN_ISDIR,
        SQLITE_CANTOPEN_FULLPATH,
        SQLITE_CANTOPEN_CONVPATH,
        SQLITE_CANTOPEN_SYMLINK,
        SQLITE_CORRUPT_VTAB,
        SQLITE_CORRUPT_SEQUENCE,
        SQLITE_CORRUPT_INDEX,
        SQLITE_READONLY_RECOVERY,
        SQLITE_READONLY_CANTLOCK,
        SQLITE_READONLY_ROLLBACK,
        SQLITE_READONLY_DBMOVED,
        SQLITE_READONLY_CANTINIT,
        SQLITE_READONLY_DIRECTORY,
        SQLITE_ABORT_ROLLBACK,
        SQLITE_CONSTRAINT_CHECK,
        SQLITE_CONSTRAINT_COMMITHOOK,
        SQLITE_CONSTRAINT_FOREIGNKEY,
        SQLITE_CONSTRAINT_FUNCTION,
        SQLITE_CONSTRAINT_NOTNULL,
        SQLITE_CONSTRAINT_PRIMARYKEY,
        SQLITE_CONSTRAINT_TRIGGER,
        SQLITE_CONSTRAINT_UNIQUE,
        SQLITE_CONSTRAINT_VTAB,
        SQLITE_CONSTRAINT_ROWID,
        SQLITE_CONSTRAINT_PINNED,
        SQLITE_CONSTRAINT_DATATYPE,
        SQLITE_NOTICE_RECOVER_WAL,
        SQLITE_NOTICE_RECOVER_ROLLBACK,
        SQLITE_WARNING_AUTOINDEX,
        SQLITE_AUTH_USER,
    );
    const PRIMARY: &[(i32, &str)] = names!(
        SQLITE_ERROR,
        SQLITE_INTERNAL,
        SQLITE_PERM,
        SQLITE_ABORT,
        SQLITE_BUSY,
        SQLITE_LOCKED,
        SQLITE_NOMEM,
        SQLITE_READONLY,
        SQLITE_INTERRUPT,
        SQLITE_IOERR,
        SQLITE_CORRUPT,
        SQLITE_NOTFOUND,
        SQLITE_FULL,
        SQLITE_CANTOPEN,
        SQLITE_PROTOCOL,
        SQLITE_EMPTY,
        SQLITE_SCHEMA,
        SQLITE_TOOBIG,
        SQLITE_CONSTRAINT,
        SQLITE_MISMATCH,
        SQLITE_MISUSE,
        SQLITE_NOLFS,
        SQLITE_AUTH,
        SQLITE_FORMAT,
        SQLITE_RANGE,
        SQLITE_NOTADB,
        SQLITE_NOTICE,
        SQLITE_WARNING,
    );
    EXTENDED
        .iter()
        .find(|(code, _)| *code == extended)
        .or_else(|| PRIMARY.iter().find(|(code, _)| *code == extended & 0xff))
        .map(|(_, name)| *name)
}

/// A 1-based character position in `full` for a byte `offset` into `part`, a suffix of `full`
/// (rusqlite reports offsets into the statement it was preparing, the rest of the batch).
fn position_in(full: &str, part: &str, offset: i32) -> Option<usize> {
    if offset < 0 || !full.ends_with(part) {
        return None;
    }
    let at = full.len() - part.len() + offset as usize;
    full.get(..at).map(|prefix| prefix.chars().count() + 1)
}

impl Sqlite {
    /// Opens (creating if missing) the database at `sqlite://PATH`, `sqlite:PATH` or
    /// `sqlite::memory:`. PATH is absolute or relative to the current directory; its directory must
    /// exist. `busy_timeout` is how long a statement waits for another connection's lock.
    pub fn open(url: &str, busy_timeout: Duration) -> Result<Sqlite, DbError> {
        let fail = |why: String| DbError {
            message: format!("cannot open {url}: {why}"),
            connection: true,
            ..DbError::default()
        };
        let conn = match parse_url(url).map_err(fail)? {
            Location::Memory => Connection::open_in_memory(),
            Location::File(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    if !parent.exists() {
                        return Err(fail(format!(
                            "the directory {} does not exist",
                            parent.display()
                        )));
                    }
                    if !parent.is_dir() {
                        return Err(fail(format!("{} is not a directory", parent.display())));
                    }
                }
                // No SQLITE_OPEN_URI: the path is a plain file name.
                Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE
                        | OpenFlags::SQLITE_OPEN_CREATE
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
            }
        }
        .map_err(|e| {
            let mut err = to_db_error(&e, None);
            err.message = format!("cannot open {url}: {}", err.message);
            err.connection = true;
            err
        })?;
        let db = Sqlite {
            conn,
            url: url.to_owned(),
            busy_timeout,
        };
        let setup = db
            .conn
            .busy_timeout(busy_timeout)
            .and_then(|()| db.conn.execute_batch("PRAGMA foreign_keys = ON"))
            // Reads the header now, so that a file that is not a database fails here.
            .and_then(|()| {
                db.conn
                    .query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
            });
        if let Err(e) = setup {
            let mut err = db.error(&e, None);
            err.message = format!("cannot open {url}: {}", err.message);
            err.connection = true;
            return Err(err);
        }
        Ok(db)
    }

    /// The underlying rusqlite connection, for features beyond the [`Database`] trait.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The file this connection opened (`None` for an in-memory database).
    pub fn path(&self) -> Option<&Path> {
        self.conn.path().filter(|p| !p.is_empty()).map(Path::new)
    }

    fn error(&self, e: &rusqlite::Error, sql: Option<&str>) -> DbError {
        let mut err = to_db_error(e, sql);
        if matches!(err.code.as_deref(), Some(code) if code.starts_with("SQLITE_BUSY")) {
            err.hint = Some(format!(
                "another connection holds the database's write lock; strata waited {} ms for it (the busy timeout)",
                self.busy_timeout.as_millis()
            ));
        }
        err
    }

    fn table_exists(&self, table: &QualifiedName) -> Result<bool, DbError> {
        // SQLite's schemas are attached databases, each with its own catalog; table names compare
        // case-insensitively (ASCII), as SQLite resolves them.
        let catalog = match &table.schema {
            Some(schema) => format!("{}.sqlite_schema", quote_ident(schema)),
            None => "sqlite_schema".to_owned(),
        };
        let sql = format!(
            "SELECT count(*) FROM {catalog} WHERE type = 'table' AND name = ?1 COLLATE NOCASE"
        );
        self.conn
            .query_row(&sql, [&table.name], |row| row.get::<_, i64>(0))
            .map(|n| n > 0)
            .map_err(|e| self.error(&e, Some(&sql)))
    }
}

fn to_db_error(e: &rusqlite::Error, sql: Option<&str>) -> DbError {
    match e {
        rusqlite::Error::SqliteFailure(failure, message) => DbError {
            code: code_name(failure.extended_code).map(str::to_owned),
            message: message.clone().unwrap_or_else(|| failure.to_string()),
            ..DbError::default()
        },
        rusqlite::Error::SqlInputError {
            error,
            msg,
            sql: part,
            offset,
        } => DbError {
            code: code_name(error.extended_code).map(str::to_owned),
            message: msg.clone(),
            position: sql.and_then(|full| position_in(full, part, *offset)),
            ..DbError::default()
        },
        other => DbError::msg(other.to_string()),
    }
}

impl Database for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn describe(&self) -> String {
        self.url.clone()
    }

    fn user(&mut self) -> Result<Option<String>, DbError> {
        Ok(None)
    }

    fn server_version(&mut self) -> Result<u32, DbError> {
        Ok(rusqlite::version_number().unsigned_abs())
    }

    fn execute(&mut self, sql: &str) -> Result<(), DbError> {
        self.conn
            .execute_batch(sql)
            .map_err(|e| self.error(&e, Some(sql)))
    }

    fn state_tables_exist(&mut self, tables: &StateTables) -> Result<bool, DbError> {
        Ok(self.table_exists(&tables.version)? && self.table_exists(&tables.history)?)
    }

    fn read_heads(&mut self, tables: &StateTables) -> Result<Vec<String>, DbError> {
        if !self.table_exists(&tables.version)? {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT revision FROM {} ORDER BY revision", tables.version);
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map([], |row| row.get(0))?;
            rows.collect()
        };
        run().map_err(|e| self.error(&e, Some(&sql)))
    }

    fn read_history(&mut self, tables: &StateTables) -> Result<Vec<HistoryRow>, DbError> {
        if !self.table_exists(&tables.history)? {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, revision, parents, kind, message, checksum, applied_at, applied_by, \
                    execution_ms, strata_version, error \
             FROM {} ORDER BY id",
            tables.history
        );
        let run = || -> rusqlite::Result<Vec<HistoryRow>> {
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map([], |r| {
                Ok(HistoryRow {
                    id: r.get(0)?,
                    revision: r.get(1)?,
                    parents: r.get(2)?,
                    kind: r.get(3)?,
                    message: r.get(4)?,
                    checksum: r.get(5)?,
                    applied_at: r.get(6)?,
                    applied_by: r.get(7)?,
                    execution_ms: r.get(8)?,
                    strata_version: r.get(9)?,
                    error: r.get(10)?,
                })
            })?;
            rows.collect()
        };
        run().map_err(|e| self.error(&e, Some(&sql)))
    }

    /// A no-op: SQLite serialises runners with `BEGIN IMMEDIATE` (see [`Database::begin_sql`]).
    fn lock(
        &mut self,
        _tables: &StateTables,
        _limit: Option<std::time::Duration>,
        _on_wait: &mut dyn FnMut(&str),
    ) -> Result<(), DbError> {
        Ok(())
    }

    fn unlock(&mut self, _tables: &StateTables) -> Result<(), DbError> {
        Ok(())
    }

    /// Takes the write lock when the transaction opens, waiting up to the busy timeout while
    /// another connection holds it.
    fn begin_sql(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    fn lock_is_per_transaction(&self) -> bool {
        true
    }

    fn rollback(&mut self) -> Result<bool, DbError> {
        if self.conn.is_autocommit() {
            return Ok(false);
        }
        self.execute("ROLLBACK;").map(|()| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("sqlite::memory:"), Ok(Location::Memory));
        assert_eq!(parse_url("sqlite://:memory:"), Ok(Location::Memory));
        assert_eq!(
            parse_url("sqlite://strata.db"),
            Ok(Location::File("strata.db".into()))
        );
        assert_eq!(
            parse_url("sqlite:strata.db"),
            Ok(Location::File("strata.db".into()))
        );
        assert_eq!(
            parse_url("sqlite:///var/db/x.db"),
            Ok(Location::File("/var/db/x.db".into()))
        );
        assert_eq!(
            parse_url("sqlite://dir/x.db"),
            Ok(Location::File("dir/x.db".into()))
        );
        assert!(parse_url("sqlite://").is_err());
        assert!(parse_url("sqlite://x.db?mode=ro").is_err());
        assert!(parse_url("postgres://x").is_err());
    }

    #[test]
    fn code_names() {
        assert_eq!(
            code_name(ffi::SQLITE_CONSTRAINT_UNIQUE),
            Some("SQLITE_CONSTRAINT_UNIQUE")
        );
        assert_eq!(code_name(ffi::SQLITE_BUSY), Some("SQLITE_BUSY"));
        assert_eq!(code_name(ffi::SQLITE_ERROR), Some("SQLITE_ERROR"));
        // An unknown extended code falls back to its primary code.
        assert_eq!(
            code_name(ffi::SQLITE_CONSTRAINT | (99 << 8)),
            Some("SQLITE_CONSTRAINT")
        );
    }

    #[test]
    fn positions_in_a_batch() {
        let full = "SELECT 1;\nSELEC 2;";
        assert_eq!(position_in(full, "\nSELEC 2;", 1), Some(11));
        assert_eq!(position_in("é;x", "x", 0), Some(3));
        assert_eq!(position_in(full, "other", 0), None);
    }
}
