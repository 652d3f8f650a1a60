//! strata as a library: apply a project's migrations from your own program.
//!
//! The one entry point for that is [`migrate`]: the migrations (read from a folder with
//! [`load`], or compiled into the program with [`embedded_migrations!`]) and a database URL in,
//! what it did out ([`Upgraded`]). Underneath it is the same [`Migrator`] the `strata` command
//! runs, with the same guarantees: one runner at a time (eight replicas starting together apply
//! each migration once), each migration in its own transaction with its history row, a failure
//! rolled back, recorded and reported with its file and line.
//!
//! Online (expand/contract) migrations are handled as `strata upgrade` handles them, on
//! PostgreSQL: the plain migrations before the first one are applied, then its expand phase runs
//! and the upgrade stops there ([`Upgraded::stopped_at`]); `strata complete` finishes it, once
//! every client runs the new version. While one is in progress, an upgrade that would go past it
//! is refused. On SQLite, a plan that reaches an online migration is refused before anything
//! runs.
//!
//! ```no_run
//! // build.rs:  fn main() { strata::build::embed_migrations("migrations").unwrap(); }
//! // (with `strata = { version = "…", default-features = false }` as a build-dependency)
//! static MIGRATIONS: &[(&str, &str)] = strata::embedded_migrations!();
//!
//! fn main() -> Result<(), strata::Error> {
//!     let migrations = strata::load_embedded(MIGRATIONS)?;
//!     let upgraded = strata::migrate("sqlite://app.db", &migrations)?;
//!     println!("applied {} migration(s)", upgraded.applied.len());
//!     if let Some(online) = &upgraded.stopped_at {
//!         println!("online migration {} started; new clients use SET search_path = {};",
//!             online.revision, online.search_path);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! For more control (a target other than `head`, downgrades, `--sql`-style offline SQL, a
//! reporter that logs each step), use [`connect`] and [`Migrator`] directly.

pub mod build;

pub use strata_core::Diagnostic;
pub use strata_engine::migrator::{offline_sql, Silent};
pub use strata_engine::{
    Applied, Database, DbError, EngineError, Migrator, OnlineAction, OnlineState, OnlineStop,
    Reporter, Settings, StateTables, Upgraded,
};
use strata_engine::{NoOnlineMigrations, OnlineRunError};
pub use strata_files::{MigrationFile, Migrations};

use std::path::Path;

/// Everything that can go wrong when a program applies its migrations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The migration files are invalid (each diagnostic says `file:line: what, and how to fix it`).
    #[error("invalid migrations:\n{}", render_diagnostics(.0))]
    Files(Vec<Diagnostic>),
    /// The URL names no database strata supports (or a driver left out by a feature).
    #[error("{0}")]
    Url(String),
    /// The database could not be reached.
    #[error("{0}")]
    Connect(DbError),
    /// A run failed: a migration's SQL, the runner lock, the state tables; or it was refused
    /// (an online migration in progress, an online migration on SQLite).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// An online migration could not be read or checked against the schema (nothing was
    /// changed), or its expand phase failed (the migrations before it stay applied; the next
    /// upgrade resumes it).
    #[error("{0}")]
    Online(Box<dyn std::error::Error + Send + Sync>),
}

impl From<Vec<Diagnostic>> for Error {
    fn from(diagnostics: Vec<Diagnostic>) -> Error {
        Error::Files(diagnostics)
    }
}

fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads and validates the migrations in `dir` (`<id>_<slug>.sql` files and online `.toml`s).
pub fn load(dir: impl AsRef<Path>) -> Result<Migrations, Error> {
    let dir = dir.as_ref();
    Ok(strata_files::load(dir, dir.parent().unwrap_or(dir))?)
}

/// Validates migrations compiled into the program (see [`embedded_migrations!`]).
pub fn load_embedded(files: &[(&str, &str)]) -> Result<Migrations, Error> {
    Ok(strata_files::load_embedded(files)?)
}

/// The `(file name, text)` pairs that [`build::embed_migrations`] wrote for this crate, as a
/// `&'static [(&str, &str)]` expression.
#[macro_export]
macro_rules! embedded_migrations {
    () => {
        include!(concat!(env!("OUT_DIR"), "/strata_migrations.rs"))
    };
}

/// Opens a database by URL: `postgres://…` / `postgresql://…` (libpq-style parameters such as
/// `sslmode`), `sqlite://PATH` or `sqlite::memory:`. Passwords never appear in its errors.
pub fn connect(url: &str) -> Result<Box<dyn Database>, Error> {
    if is_postgres(url) {
        #[cfg(feature = "postgres")]
        {
            let db = strata_postgres::Postgres::connect(url, &Default::default())
                .map_err(Error::Connect)?;
            return Ok(Box::new(db));
        }
        #[cfg(not(feature = "postgres"))]
        return Err(Error::Url(
            "this program was built without strata's `postgres` feature".to_owned(),
        ));
    }
    if url.starts_with("sqlite:") {
        #[cfg(feature = "sqlite")]
        {
            let db = strata_sqlite::Sqlite::open(url, std::time::Duration::from_secs(60))
                .map_err(Error::Connect)?;
            return Ok(Box::new(db));
        }
        #[cfg(not(feature = "sqlite"))]
        return Err(Error::Url(
            "this program was built without strata's `sqlite` feature".to_owned(),
        ));
    }
    Err(Error::Url(format!(
        "unrecognised database URL `{}`: use postgres://user@host/db, sqlite://path/to/file.db or sqlite::memory:",
        strata_core::mask_url(url)
    )))
}

/// Upgrades the database at `url` to the head of `migrations` (the single head; a graph with
/// several heads is an error naming them), with default settings, and returns what it did.
/// Safe to call from every replica of a program at startup.
///
/// An upgrade that reaches an online migration (PostgreSQL) applies the plain migrations before
/// it, runs its expand phase and stops there, saying so in [`Upgraded::stopped_at`]. Called
/// again, it reports the same stop (the migration is already expanded), or, with migrations
/// after it, is refused until `strata complete` has finished it.
pub fn migrate(url: &str, migrations: &Migrations) -> Result<Upgraded, Error> {
    migrate_with(url, migrations, "head", Settings::default())
}

/// [`migrate`] to `target` (any target `strata upgrade` takes: `head`, `heads`, an id,
/// `label@head`, `+1`) with `settings` (timeouts, retries, state table names).
pub fn migrate_with(
    url: &str,
    migrations: &Migrations,
    target: &str,
    settings: Settings,
) -> Result<Upgraded, Error> {
    #[cfg(feature = "postgres")]
    if is_postgres(url) {
        let mut db =
            strata_postgres::Postgres::connect(url, &Default::default()).map_err(Error::Connect)?;
        // As `strata upgrade` runs them: the state table next to the version table, the
        // settings' lock timeout and retries, the lock watcher at its default threshold.
        let mut online =
            strata_online::OnlineRunner::new(strata_online::RunOptions::from_settings(&settings))
                .watch_locks(url, strata_online::DEFAULT_MAX_BLOCKING);
        return Migrator::new(&mut db, migrations, settings)
            .upgrade_online(target, &mut online, &mut Silent)
            .map_err(|e| match e {
                OnlineRunError::Engine(e) => Error::Engine(e),
                OnlineRunError::Online(e) => Error::Online(Box::new(e)),
                other => Error::Online(Box::new(other)),
            });
    }
    let mut db = connect(url)?;
    // Online migrations need PostgreSQL: on any other database a plan reaching one is refused
    // before anything runs.
    Migrator::new(db.as_mut(), migrations, settings)
        .upgrade_online(target, &mut NoOnlineMigrations, &mut Silent)
        .map_err(|e| match e {
            OnlineRunError::Engine(e) | OnlineRunError::Online(e) => Error::Engine(e),
            other => Error::Online(Box::new(other)),
        })
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The revisions the database at `url` is at (its heads; empty before the first migration).
pub fn current(url: &str) -> Result<Vec<String>, Error> {
    let mut db = connect(url)?;
    let tables = StateTables::default();
    db.read_heads(&tables).map_err(|error| {
        Error::Engine(EngineError::Database {
            context: "could not read the version table".to_owned(),
            error: Box::new(error),
        })
    })
}
