//! The small trait each database engine implements: mechanism only. The policy (what to lock,
//! when to re-read state, what to record) lives in [`crate::migrator`], once for every database.

use crate::state::{HistoryRow, StateTables};
use std::fmt;
use std::time::Duration;
use strata_core::Dialect;

/// An error reported by the database, with everything the user needs to act on it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbError {
    /// SQLSTATE (PostgreSQL) or the extended result code name (SQLite), when known.
    pub code: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// 1-based character position in the statement that was sent, when the database reports one.
    pub position: Option<usize>,
    /// True when the connection itself failed (could not connect, connection lost).
    pub connection: bool,
    /// True when the connection URL is malformed (a bad scheme, port, parameter or
    /// percent-escape): bad input, found before any connection attempt. The message names the
    /// parameter and never quotes the user info.
    pub invalid_url: bool,
}

impl DbError {
    pub fn msg(message: impl Into<String>) -> DbError {
        DbError {
            message: message.into(),
            ..DbError::default()
        }
    }

    /// A malformed connection URL (see [`DbError::invalid_url`]).
    pub fn invalid_url(message: impl Into<String>, hint: Option<String>) -> DbError {
        DbError {
            message: message.into(),
            hint,
            invalid_url: true,
            ..DbError::default()
        }
    }

    /// PostgreSQL `lock_not_available` (a `lock_timeout` fired).
    pub fn is_lock_timeout(&self) -> bool {
        self.code.as_deref() == Some("55P03")
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(code) = &self.code {
            write!(f, " (SQLSTATE {code})")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, "\n  detail: {detail}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for DbError {}

/// What the engine needs from a database connection. Implementations must never print: they
/// report through return values and the `on_wait` callback.
pub trait Database {
    fn dialect(&self) -> Dialect;

    /// The connection target with any password masked, for messages.
    fn describe(&self) -> String;

    /// The database user this connection runs as (`None` for SQLite).
    fn user(&mut self) -> Result<Option<String>, DbError>;

    /// `server_version_num` for PostgreSQL (e.g. 150004), SQLite's `sqlite3_libversion_number`.
    fn server_version(&mut self) -> Result<u32, DbError>;

    /// Runs one or more statements as they are (PostgreSQL: the simple-query protocol), discarding
    /// results. The text must be sent unchanged so that error positions point into it.
    fn execute(&mut self, sql: &str) -> Result<(), DbError>;

    /// Whether both state tables exist.
    fn state_tables_exist(&mut self, tables: &StateTables) -> Result<bool, DbError>;

    /// The revisions in the version table (empty when it does not exist yet).
    fn read_heads(&mut self, tables: &StateTables) -> Result<Vec<String>, DbError>;

    /// Every row of the history table in `id` order (empty when it does not exist yet).
    fn read_history(&mut self, tables: &StateTables) -> Result<Vec<HistoryRow>, DbError>;

    /// Takes the runner lock for this version table. While it waits, it calls `on_wait` with a
    /// description of who holds it (when the wait starts, then every half minute), and it never
    /// holds a snapshot or an open transaction: a waiting runner must not block a
    /// `CREATE INDEX CONCURRENTLY` that the lock holder is running. `limit` bounds the wait
    /// (`None`: wait as long as it takes); when it runs out the error names the holder.
    /// PostgreSQL: session advisory locks, held until [`Database::unlock`] or the end of the
    /// session. SQLite: a no-op; writers are serialised by `BEGIN IMMEDIATE`.
    fn lock(
        &mut self,
        tables: &StateTables,
        limit: Option<Duration>,
        on_wait: &mut dyn FnMut(&str),
    ) -> Result<(), DbError>;

    fn unlock(&mut self, tables: &StateTables) -> Result<(), DbError>;

    /// The statement that opens a migration transaction: `BEGIN` (PostgreSQL), `BEGIN IMMEDIATE`
    /// (SQLite, which also takes the write lock, waiting up to the busy timeout).
    fn begin_sql(&self) -> &'static str;

    /// True when the lock is per transaction (SQLite) rather than per session, so the engine must
    /// re-read the state after each `begin`.
    fn lock_is_per_transaction(&self) -> bool;

    /// Rolls back the transaction a failed statement left open. Returns `false` when no
    /// transaction was open any more (a statement of the migration ended it), so nothing could be
    /// rolled back and the caller must not claim it was.
    fn rollback(&mut self) -> Result<bool, DbError> {
        self.execute("ROLLBACK;").map(|()| true)
    }

    /// The INVALID indexes (left by an interrupted `CREATE INDEX CONCURRENTLY`) in the schemas of
    /// `tables` (as written in SQL, resolved by the database; index names are unique per schema),
    /// or in the whole database when `tables` is empty. Databases without such a state return
    /// none.
    fn invalid_indexes(&mut self, _tables: &[String]) -> Result<Vec<InvalidIndex>, DbError> {
        Ok(Vec::new())
    }
}

/// An index the database keeps but does not use (PostgreSQL `indisvalid = false`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidIndex {
    pub schema: String,
    pub table: String,
    pub name: String,
}

impl InvalidIndex {
    /// `schema.name`, quoted, for SQL.
    pub fn qualified(&self) -> String {
        strata_core::QualifiedName::new(Some(&self.schema), &self.name).to_string()
    }
}
