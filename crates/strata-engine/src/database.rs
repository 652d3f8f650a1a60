//! The small trait each database engine implements: mechanism only. The policy (what to lock,
//! when to re-read state, what to record) lives in [`crate::migrator`], once for every database.

use crate::state::{HistoryRow, StateTables};
use std::fmt;
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

    /// Takes the runner lock for this version table, calling `on_wait` with a description of who
    /// holds it (once) if it has to wait. PostgreSQL: a session advisory lock, held until
    /// [`Database::unlock`] or the end of the session. SQLite: a no-op; writers are serialised by
    /// `BEGIN IMMEDIATE` in [`Database::begin`].
    fn lock(&mut self, tables: &StateTables, on_wait: &mut dyn FnMut(&str)) -> Result<(), DbError>;

    fn unlock(&mut self, tables: &StateTables) -> Result<(), DbError>;

    /// The statement that opens a migration transaction: `BEGIN` (PostgreSQL), `BEGIN IMMEDIATE`
    /// (SQLite, which also takes the write lock, waiting up to the busy timeout).
    fn begin_sql(&self) -> &'static str;

    /// True when the lock is per transaction (SQLite) rather than per session, so the engine must
    /// re-read the state after each `begin`.
    fn lock_is_per_transaction(&self) -> bool;
}
