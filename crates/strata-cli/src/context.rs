//! From flags and `strata.toml` to settings: the project, the environment, the database.

use crate::cli::Global;
use crate::error::{db_err, CliError};
use std::path::{Path, PathBuf};
use std::time::Duration;
use strata_core::Dialect;
use strata_engine::{Database, Settings, StateTables};
use strata_files::{Config, Migrations};

/// Everything a command needs to know about the project it runs in.
pub struct Project {
    pub config: Config,
    pub env_name: String,
    global: Global,
}

impl Project {
    pub fn load(global: &Global) -> Result<Project, CliError> {
        let config = match &global.config {
            Some(path) => read_config(path, false)?,
            None => {
                let cwd = std::env::current_dir().map_err(|e| {
                    CliError::invalid(format!("cannot read the current directory: {e}"))
                })?;
                match strata_files::find_config(&cwd) {
                    Some(path) => read_config(&path, true)?,
                    None => strata_files::default_config(cwd),
                }
            }
        };
        let env_name = global
            .env
            .clone()
            .unwrap_or_else(|| config.default_env.clone());
        Ok(Project {
            config,
            env_name,
            global: global.clone(),
        })
    }

    pub fn migrations_dir(&self) -> PathBuf {
        self.config.root.join(&self.config.migrations_dir)
    }

    /// Reads and validates the whole migration tree; every problem is reported at once.
    pub fn migrations(&self) -> Result<Migrations, CliError> {
        let display_base = std::env::current_dir().unwrap_or_else(|_| self.config.root.clone());
        Ok(strata_files::load(&self.migrations_dir(), &display_base)?)
    }

    fn env(&self) -> Option<&strata_files::EnvConfig> {
        self.config.envs.get(&self.env_name)
    }

    pub fn url(&self) -> Result<String, CliError> {
        Ok(strata_files::resolve_url(
            &self.config,
            &self.env_name,
            self.global.url.as_deref(),
            &|k| std::env::var(k).ok(),
        )?)
    }

    /// Where the URL of [`Project::url`] comes from, for messages about it.
    pub fn url_origin(&self) -> String {
        if self.global.url.is_some() {
            return "--url".to_owned();
        }
        if let Some(url) = self.env().and_then(|e| e.url.as_ref()) {
            return format!(
                "{}:{} (env.{}.url)",
                self.config.display_path(),
                url.line,
                self.env_name
            );
        }
        if std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
            return "DATABASE_URL".to_owned();
        }
        "the default URL".to_owned()
    }

    /// Where the environment's `shadow_url` is, for messages about it.
    pub fn shadow_url_origin(&self) -> String {
        match self.env().and_then(|e| e.shadow_url.as_ref()) {
            Some(url) => format!(
                "{}:{} (env.{}.shadow_url)",
                self.config.display_path(),
                url.line,
                self.env_name
            ),
            None => format!("env.{}.shadow_url", self.env_name),
        }
    }

    /// Says where the project's URL comes from in an error about it.
    fn locate(&self, error: CliError) -> CliError {
        with_origin(error, || self.url_origin())
    }

    /// The dialect of the project's URL, without connecting.
    pub fn url_dialect(&self, url: &str) -> Result<Dialect, CliError> {
        dialect_of(url).map_err(|e| self.locate(e))
    }

    /// Whether a database was chosen (`--url`, the environment's `url`, `DATABASE_URL`) rather
    /// than strata falling back to `sqlite://strata.db`.
    pub fn url_is_configured(&self) -> bool {
        self.global.url.is_some()
            || self.env().is_some_and(|e| e.url.is_some())
            || std::env::var_os("DATABASE_URL").is_some()
    }

    pub fn settings(&self, single_transaction: bool) -> Settings {
        let env = self.env();
        Settings {
            tables: StateTables::new(&self.config.version_table, &self.config.history_table),
            lock_timeout: env.and_then(|e| e.lock_timeout),
            statement_timeout: env.and_then(|e| e.statement_timeout),
            lock_retries: env.and_then(|e| e.lock_retries).unwrap_or(0),
            single_transaction,
            ..Settings::default()
        }
    }

    /// The dialect of the configured URL, without connecting.
    pub fn dialect(&self, explicit: Option<&str>) -> Result<Dialect, CliError> {
        if let Some(name) = explicit {
            return match name {
                "postgres" | "postgresql" => Ok(Dialect::Postgres),
                "sqlite" => Ok(Dialect::Sqlite),
                other => Err(CliError::invalid_with_hint(
                    format!("unknown dialect `{other}`"),
                    "use --dialect postgres or --dialect sqlite",
                )),
            };
        }
        self.url_dialect(&self.url()?)
    }

    pub fn connect(&self) -> Result<Box<dyn Database>, CliError> {
        Ok(match self.open()? {
            Connection::Postgres(db) => Box::new(db),
            Connection::Sqlite(db) => Box::new(db),
        })
    }

    /// [`Project::connect`] for a command that only reads: a SQLite URL naming a file that does
    /// not exist is an error (a typo in the URL), never a new empty database.
    pub fn connect_read_only(&self) -> Result<Box<dyn Database>, CliError> {
        self.require_existing(&self.url()?)?;
        self.connect()
    }

    /// [`Project::open`] for a command that only reads (see [`Project::connect_read_only`]).
    pub fn open_read_only(&self) -> Result<Connection, CliError> {
        self.require_existing(&self.url()?)?;
        self.open()
    }

    /// Whether the configured URL is a SQLite file that does not exist yet.
    pub fn url_is_sqlite_file_missing(&self) -> bool {
        self.url()
            .is_ok_and(|url| self.require_existing(&url).is_err() && url.starts_with("sqlite:"))
    }

    /// Refuses a SQLite URL whose file does not exist (a file-backed database only).
    pub fn require_existing(&self, url: &str) -> Result<(), CliError> {
        if self.url_dialect(url)? != Dialect::Sqlite {
            return Ok(());
        }
        let file = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or("");
        if file.is_empty() || file == ":memory:" || Path::new(file).exists() {
            return Ok(());
        }
        Err(CliError::invalid_with_hint(
            format!("the database file {file} does not exist"),
            "check the URL for a typo (`--url`, the environment's `url` in strata.toml, or DATABASE_URL); `strata upgrade` creates the file on its first run",
        ))
    }

    /// Connects, keeping the concrete type (for queries beyond the [`Database`] trait).
    pub fn open(&self) -> Result<Connection, CliError> {
        self.open_url(&self.url()?).map_err(|e| self.locate(e))
    }

    pub fn open_url(&self, url: &str) -> Result<Connection, CliError> {
        let busy = self
            .env()
            .and_then(|e| e.lock_timeout)
            .unwrap_or(Duration::from_secs(60))
            .max(Duration::from_secs(60));
        match dialect_of(url)? {
            Dialect::Postgres => {
                let db = strata_postgres::Postgres::connect(
                    url,
                    &strata_postgres::ConnectOptions::default(),
                )
                .map_err(db_err(""))?;
                Ok(Connection::Postgres(db))
            }
            Dialect::Sqlite => {
                let db = strata_sqlite::Sqlite::open(url, busy)
                    .map_err(db_err("could not open the database"))?;
                Ok(Connection::Sqlite(db))
            }
        }
    }

    /// The database when one is at hand, for what only it knows (pending revisions, row
    /// estimates, applied checksums): `None` when the URL names no existing SQLite file (nothing is
    /// created) and when it cannot be resolved. Connection failures are errors.
    pub fn open_existing(&self) -> Result<Option<Connection>, CliError> {
        let Ok(url) = self.url() else {
            return Ok(None);
        };
        if self.url_dialect(&url)? == Dialect::Sqlite {
            let file = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or("");
            if file.is_empty() || file == ":memory:" || !Path::new(file).is_file() {
                return Ok(None);
            }
        }
        self.open_url(&url).map(Some).map_err(|e| self.locate(e))
    }

    /// The environment sets `lock_timeout`, so strata sets it for every migration.
    pub fn lock_timeout_configured(&self) -> bool {
        self.env().is_some_and(|e| e.lock_timeout.is_some())
    }

    /// What `upgrade` does with lint findings: the environment's `lint`, by default `warn`.
    pub fn lint_mode(&self) -> strata_files::LintMode {
        self.env()
            .and_then(|e| e.lint)
            .unwrap_or(strata_files::LintMode::Warn)
    }

    /// What `upgrade` does about applied files changed since: the environment's `verify`, by
    /// default `warn`.
    pub fn verify_mode(&self) -> strata_files::VerifyMode {
        self.env()
            .and_then(|e| e.verify)
            .unwrap_or(strata_files::VerifyMode::Warn)
    }
}

/// An open database, of its concrete type.
// One per process: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Connection {
    Postgres(strata_postgres::Postgres),
    Sqlite(strata_sqlite::Sqlite),
}

impl Connection {
    pub fn db(&mut self) -> &mut dyn Database {
        match self {
            Connection::Postgres(db) => db,
            Connection::Sqlite(db) => db,
        }
    }
}

/// Reads and parses `path`: given with `--config`, or found by the upward search (`searched`).
fn read_config(path: &Path, searched: bool) -> Result<Config, CliError> {
    if path.is_dir() {
        let shown = display_path(path);
        let inside = path.join("strata.toml");
        let hint = if searched {
            "strata looks for strata.toml in the current folder and its parents, and found this folder: rename or remove it (a container bind mount of a missing file creates such a folder), or pass --config PATH".to_owned()
        } else if inside.is_file() {
            format!("pass the file: --config {}", display_path(&inside))
        } else {
            "pass the path of a strata.toml file to --config".to_owned()
        };
        return Err(CliError::invalid_with_hint(
            format!("{shown} is a directory, not a configuration file"),
            hint,
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::invalid_with_hint(
            format!("cannot read {}: {e}", path.display()),
            "create one with `strata init`, or pass --config PATH",
        )
    })?;
    let root = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let shown = display_path(path);
    Ok(strata_files::parse_config(&shown, root, &text)?)
}

/// A path as the user should read it: relative to the current directory when it is below it.
pub fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// A URL error that does not say where its URL came from yet, saying it.
pub fn with_origin(error: CliError, origin: impl FnOnce() -> String) -> CliError {
    match error {
        CliError::Url { origin: o, error } if o.is_empty() => CliError::Url {
            origin: origin(),
            error,
        },
        other => other,
    }
}

/// The dialect of a URL, without connecting. A URL with an unknown scheme is shown with anything
/// that may be a password masked; one without `scheme://` is not shown at all.
pub fn dialect_of(url: &str) -> Result<Dialect, CliError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Dialect::Postgres);
    }
    if url.starts_with("sqlite:") {
        return Ok(Dialect::Sqlite);
    }
    const FORMS: &str =
        "use postgres://user@host:5432/dbname (with a password: user:password@host, percent-encoded), sqlite://path/to/file.db or sqlite::memory:";
    let Some(scheme) = strata_core::url_scheme(url) else {
        // No `scheme://`: there is no telling which part is a password, so none of it is shown.
        let lower = url.trim_start().to_ascii_lowercase();
        let hint = match ["postgresql", "postgres", "sqlite"]
            .into_iter()
            .find(|word| lower.starts_with(word))
        {
            Some("sqlite") => "it starts with `sqlite`: write sqlite://path/to/file.db, sqlite:path or sqlite::memory:".to_owned(),
            Some(word) => format!(
                "it starts with `{word}`: write {word}://user@host:5432/dbname (with a password: user:password@host, percent-encoded)"
            ),
            None => FORMS.to_owned(),
        };
        return Err(CliError::url(
            "the database URL does not start with `scheme://` (it is not shown: it may hold a password)",
            hint,
        ));
    };
    let shown = strata_core::display_url(url).unwrap_or_default();
    let shown = match shown.split_once('?') {
        Some((before, _)) => format!("{before}?…"),
        None => shown,
    };
    let lower = scheme.to_ascii_lowercase();
    if lower == "mysql" || lower == "mariadb" {
        return Err(CliError::url(
            format!("MySQL/MariaDB is not supported yet: {shown}"),
            "strata supports postgres:// and sqlite:// URLs today",
        ));
    }
    let closest = ["postgres", "postgresql", "sqlite"]
        .into_iter()
        .map(|known| (strata_core::edit_distance(&lower, known), known))
        .filter(|&(distance, _)| distance <= 2)
        .min();
    let hint = match closest {
        Some((_, known)) => format!("did you mean `{known}`? {FORMS}"),
        None => FORMS.to_owned(),
    };
    Err(CliError::url(
        format!("unknown database URL scheme `{scheme}` in {shown}"),
        hint,
    ))
}
