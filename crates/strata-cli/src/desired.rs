//! Where the schemas that `diff`, `check`, `drift` and `revision --autogenerate` compare come
//! from: a live database, SQL files applied to a shadow database, or the migrations
//! replayed up to a revision in a shadow database.
//!
//! The shadow database is the environment's `shadow_url` (emptied before and after use) or a
//! temporary `strata_shadow_*` database created on the target server and dropped afterwards: on
//! success, on failure (its guard's `Drop`), and on Ctrl-C (a handler drops what is registered,
//! then exits with 130). SQLite's shadow is an in-memory database.

use crate::context::{dialect_of, display_path, with_origin, Connection, Project};
use crate::error::{db_err, CliError};
use crate::output::Printer;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use strata_core::{display_url, Diagnostic, Dialect, QualifiedName};
use strata_engine::migrator::Silent;
use strata_engine::{Database, DbError, Migrator};
use strata_files::RenameHint;
use strata_schema::{NotModelled, Schema};

/// One side of a comparison, as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Side {
    /// A live database.
    Url(String),
    /// SQL files and folders, applied in order to a shadow database.
    Files(Vec<PathBuf>),
    /// The migrations replayed up to a target (`rev:head`, `rev:ID`, `rev:base`).
    Rev(String),
    /// The project's desired state: `schema` files, or `schema_command`'s output.
    Desired,
}

impl Side {
    pub fn parse(text: &str) -> Side {
        if let Some(target) = text.strip_prefix("rev:") {
            Side::Rev(target.to_owned())
        } else if text.contains("://") || text.starts_with("sqlite:") {
            Side::Url(text.to_owned())
        } else {
            Side::Files(vec![PathBuf::from(text)])
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Side::Url(url) => display_url(url).unwrap_or_else(|| "a database URL".to_owned()),
            Side::Files(paths) => paths
                .iter()
                .map(|p| display_path(p))
                .collect::<Vec<_>>()
                .join(", "),
            Side::Rev(target) => format!("the migrations at {target}"),
            Side::Desired => "the schema files".to_owned(),
        }
    }
}

/// A schema read from a side, with the rename hints its files carry.
pub struct Loaded {
    pub schema: Schema,
    pub hints: Vec<RenameHint>,
}

/// What the sides of one command share: the dialect and where shadow databases go.
pub struct Workspace<'p> {
    pub project: &'p Project,
    pub dialect: Dialect,
    /// The server temporary shadow databases are created on (PostgreSQL).
    server_url: Option<String>,
    /// A configured scratch database.
    shadow_url: Option<String>,
    printer: &'p Printer,
    /// The objects of kinds the model does not cover that the sides read so far held, each
    /// reported once.
    not_modelled: Mutex<Vec<NotModelled>>,
}

impl<'p> Workspace<'p> {
    /// The dialect is that of a URL among `sides`, else the project's.
    pub fn new(
        project: &'p Project,
        sides: &[&Side],
        printer: &'p Printer,
    ) -> Result<Workspace<'p>, CliError> {
        let side_url = sides.iter().find_map(|s| match s {
            Side::Url(u) => Some(u.clone()),
            _ => None,
        });
        let project_url = project.url()?;
        let dialect = match &side_url {
            Some(url) => dialect_of(url)?,
            None => project.url_dialect(&project_url)?,
        };
        let shadow_url =
            strata_files::resolve_shadow_url(&project.config, &project.env_name, &|k| {
                std::env::var(k).ok()
            })
            .ok()
            .flatten();
        if let Some(shadow) = &shadow_url {
            let shadow_dialect =
                dialect_of(shadow).map_err(|e| with_origin(e, || project.shadow_url_origin()))?;
            if shadow_dialect != dialect {
                return Err(CliError::invalid_with_hint(
                    format!(
                        "shadow_url {} is not a {dialect:?} database",
                        display_url(shadow).unwrap_or_default()
                    ),
                    "point shadow_url at a scratch database of the same kind as the target",
                ));
            }
            if *shadow == project_url {
                return Err(CliError::invalid_with_hint(
                    format!(
                        "shadow_url is the target database itself ({})",
                        display_url(shadow).unwrap_or_default()
                    ),
                    "strata empties the shadow database before and after use: give it a scratch database of its own",
                ));
            }
        }
        let server_url = [Some(project_url), side_url]
            .into_iter()
            .flatten()
            .find(|u| dialect_of(u).ok() == Some(Dialect::Postgres));
        Ok(Workspace {
            project,
            dialect,
            server_url,
            shadow_url,
            printer,
            not_modelled: Mutex::new(Vec::new()),
        })
    }

    /// Reads a side, and reports on standard error each object of a kind the model does not
    /// cover (the first time a side of this command holds it): it is neither compared nor
    /// written, and a person should know.
    pub fn load(&self, side: &Side) -> Result<Loaded, CliError> {
        let loaded = self.read_side(side)?;
        let mut seen = self
            .not_modelled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for n in &loaded.schema.not_modelled {
            if !seen.contains(n) {
                self.printer.stderr(&format!(
                    "{} {n} in {} is not modelled by strata: it is neither compared nor written (docs/schema.md, \"What strata models\")",
                    self.printer.yellow("note:"),
                    side.describe()
                ));
                seen.push(n.clone());
            }
        }
        Ok(loaded)
    }

    /// The objects of kinds the model does not cover that the sides read so far held, for
    /// `--json` output (`"not_modelled": [{"kind": …, "name": …}]`).
    pub fn not_modelled_json(&self) -> serde_json::Value {
        let mut seen = self
            .not_modelled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        seen.sort();
        serde_json::to_value(seen).unwrap_or_default()
    }

    fn read_side(&self, side: &Side) -> Result<Loaded, CliError> {
        self.printer
            .verbose(&format!("reading {}", side.describe()));
        match side {
            Side::Url(url) => {
                let mut conn = self.project.open_url(url)?;
                Ok(Loaded {
                    schema: self.introspect(&mut conn)?,
                    hints: Vec::new(),
                })
            }
            Side::Files(paths) => {
                let mut files = Vec::new();
                for path in paths {
                    if path.is_dir() {
                        let mut config = self.project.config.clone();
                        config.schema = vec![path.display().to_string()];
                        config.root = PathBuf::from(".");
                        files.extend(schema_files(&config)?);
                    } else if path.is_file() {
                        files.push(path.clone());
                    } else {
                        return Err(CliError::invalid_with_hint(
                            format!("`{}` is neither a database URL, a rev:TARGET nor an existing file or folder", path.display()),
                            "give a URL (postgres://…, sqlite://…), rev:head, or a path of SQL files",
                        ));
                    }
                }
                self.load_sql(&read_files(&files)?)
            }
            Side::Desired => match &self.project.config.schema_command {
                Some(command) => self.load_sql(&[run_schema_command(self.project, command)?]),
                None => {
                    let files = schema_files(&self.project.config)?;
                    self.load_sql(&read_files(&files)?)
                }
            },
            Side::Rev(target) => {
                let migrations = self.project.migrations()?;
                let settings = self.project.settings(false);
                let schema = self.with_shadow(|conn| {
                    let db = conn.db();
                    let mut migrator = Migrator::new(db, &migrations, settings.clone());
                    if target != "base" {
                        for t in target.split(',') {
                            migrator
                                .upgrade(t, &mut Silent)
                                .map_err(|e| self.replay_failed(e))?;
                        }
                    }
                    Ok(())
                })?;
                Ok(Loaded {
                    schema,
                    hints: Vec::new(),
                })
            }
        }
    }

    /// Both sides of a comparison. Each has a shadow database of its own unless `shadow_url` is
    /// set: then they share it, one after the other (it is emptied between them); otherwise they
    /// are read at the same time.
    pub fn load_pair(&self, from: &Side, to: &Side) -> Result<(Loaded, Loaded), CliError> {
        if self.shadow_url.is_some() {
            let first = self.load(from)?;
            return Ok((first, self.load(to)?));
        }
        let (first, second) = std::thread::scope(|scope| {
            let first = scope.spawn(|| self.load(from));
            let second = self.load(to);
            let first = first
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (first, second)
        });
        Ok((first?, second?))
    }

    /// A migration that failed while the migrations were replayed in a shadow database: the
    /// shadow is emptied afterwards, so neither its history (`strata log`) nor the migrations
    /// "left applied" there are anything to look at; the target database was not touched.
    pub(crate) fn replay_failed(&self, e: strata_engine::EngineError) -> CliError {
        match e {
            strata_engine::EngineError::MigrationFailed(mut failure) => {
                failure.recorded = false;
                failure.applied.clear();
                self.printer.stderr(
                    "replaying the migrations in the shadow database failed (the target database was not touched):",
                );
                CliError::Engine(strata_engine::EngineError::MigrationFailed(failure))
            }
            other => CliError::Engine(other),
        }
    }

    /// SQL texts applied in order to a shadow database, and read back.
    fn load_sql(&self, sources: &[SqlSource]) -> Result<Loaded, CliError> {
        let mut hints = Vec::new();
        let mut problems = Vec::new();
        for s in sources {
            match strata_files::rename_hints(&s.name, &s.text) {
                Ok(h) => hints.extend(h),
                Err(d) => problems.extend(d),
            }
        }
        if !problems.is_empty() {
            return Err(CliError::Diagnostics(problems));
        }
        let schema = self.with_shadow(|conn| {
            for s in sources {
                apply_sql(conn.db(), s)?;
            }
            Ok(())
        })?;
        Ok(Loaded { schema, hints })
    }

    pub fn introspect(&self, conn: &mut Connection) -> Result<Schema, CliError> {
        self.introspect_as(conn, false)
    }

    /// [`Workspace::introspect`] within the session's open transaction (PostgreSQL), seeing its
    /// uncommitted changes: `strata test` reads the schema between an up and its down.
    pub fn introspect_in_transaction(&self, conn: &mut Connection) -> Result<Schema, CliError> {
        self.introspect_as(conn, true)
    }

    fn introspect_as(&self, conn: &mut Connection, nested: bool) -> Result<Schema, CliError> {
        let config = &self.project.config;
        match conn {
            Connection::Postgres(pg) => {
                let mut exclude_tables = vec![
                    QualifiedName::parse(&config.version_table),
                    QualifiedName::parse(&config.history_table),
                ];
                // The tables of the tools `strata import --adopt` took the history from.
                let adopted = crate::commands::adopted_tables(pg, config);
                exclude_tables.extend(adopted.tables.iter().cloned());
                let opts = strata_postgres::IntrospectOptions {
                    exclude_tables,
                    privileges: config.schema_privileges,
                    owners: config.schema_owners,
                };
                let read = if nested {
                    strata_postgres::introspect_in_transaction
                } else {
                    strata_postgres::introspect
                };
                let mut schema = read(pg, &opts).map_err(db_err("could not read the schema"))?;
                adopted.drop_empty_schemas(&mut schema);
                Ok(schema)
            }
            Connection::Sqlite(db) => {
                let exclude = [config.version_table.clone(), config.history_table.clone()];
                strata_sqlite::introspect(db, &exclude).map_err(db_err("could not read the schema"))
            }
        }
    }

    /// Runs `fill` on an empty shadow database and returns the schema it leaves there.
    pub(crate) fn with_shadow(
        &self,
        fill: impl FnOnce(&mut Connection) -> Result<(), CliError>,
    ) -> Result<Schema, CliError> {
        match self.dialect {
            Dialect::Sqlite => {
                let mut conn = self
                    .project
                    .open_url(self.shadow_url.as_deref().unwrap_or("sqlite::memory:"))
                    .map_err(|e| with_origin(e, || self.project.shadow_url_origin()))?;
                if self.shadow_url.is_some() {
                    reset_sqlite(&mut conn)?;
                }
                fill(&mut conn)?;
                let schema = self.introspect(&mut conn);
                if self.shadow_url.is_some() {
                    let _ = reset_sqlite(&mut conn);
                }
                schema
            }
            Dialect::Postgres => {
                if let Some(url) = &self.shadow_url {
                    let Connection::Postgres(mut pg) = self
                        .project
                        .open_url(url)
                        .map_err(|e| with_origin(e, || self.project.shadow_url_origin()))?
                    else {
                        unreachable!("checked in Workspace::new")
                    };
                    strata_postgres::shadow::reset(&mut pg, url)
                        .map_err(db_err("could not empty the shadow database"))?;
                    let mut conn = Connection::Postgres(pg);
                    let result = fill(&mut conn).and_then(|()| self.introspect(&mut conn));
                    if let Connection::Postgres(pg) = &mut conn {
                        let _ = strata_postgres::shadow::reset(pg, url);
                    }
                    return result;
                }
                let Some(server) = &self.server_url else {
                    return Err(CliError::invalid_with_hint(
                        "a PostgreSQL shadow database is needed, but no PostgreSQL server is configured",
                        "set the environment's url (or --url) to the target database, or shadow_url to a scratch database",
                    ));
                };
                let temp = strata_postgres::TempDatabase::create(server)
                    .map_err(db_err("could not create the shadow database"))?;
                let _guard = Registered::new(server, temp.name());
                self.printer
                    .verbose(&format!("shadow database {} created", temp.name()));
                let pg = temp
                    .connect()
                    .map_err(db_err("could not connect to the shadow database"))?;
                let mut conn = Connection::Postgres(pg);
                let result = fill(&mut conn).and_then(|()| self.introspect(&mut conn));
                drop(conn);
                let dropped = temp.drop_now();
                let schema = result?;
                dropped.map_err(db_err("could not drop the shadow database"))?;
                Ok(schema)
            }
        }
    }
}

/// Removes every table, view, index and trigger of a SQLite scratch database.
pub(crate) fn reset_sqlite(conn: &mut Connection) -> Result<(), CliError> {
    let Connection::Sqlite(db) = conn else {
        return Ok(());
    };
    let c = db.connection();
    let objects: Vec<(String, String)> = c
        .prepare("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND type IN ('table', 'view')")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| db_err("could not empty the shadow database")(DbError::msg(e.to_string())))?;
    let mut sql = String::from("PRAGMA foreign_keys = OFF;\n");
    for (kind, name) in objects {
        sql.push_str(&format!(
            "DROP {} IF EXISTS {};\n",
            kind.to_uppercase(),
            strata_core::quote_ident(&name)
        ));
    }
    c.execute_batch(&sql)
        .map_err(|e| db_err("could not empty the shadow database")(DbError::msg(e.to_string())))
}

/// A SQL text and the name it is reported under.
pub struct SqlSource {
    pub name: String,
    pub text: String,
}

fn schema_files(config: &strata_files::Config) -> Result<Vec<PathBuf>, CliError> {
    let base = std::env::current_dir().unwrap_or_else(|_| config.root.clone());
    Ok(strata_files::schema_files(config, &base)?)
}

fn read_files(files: &[PathBuf]) -> Result<Vec<SqlSource>, CliError> {
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::from(Diagnostic::new(
                    display_path(path),
                    0,
                    format!("cannot read the file: {e}"),
                ))
            })?;
            Ok(SqlSource {
                name: display_path(path),
                text,
            })
        })
        .collect()
}

/// `schema_command`'s standard output (run by `sh -c` in the project's folder).
fn run_schema_command(project: &Project, command: &str) -> Result<SqlSource, CliError> {
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(&project.config.root)
        .output()
        .map_err(|e| CliError::invalid(format!("cannot run schema_command `{command}`: {e}")))?;
    if !output.status.success() {
        return Err(CliError::invalid_with_hint(
            format!(
                "schema_command `{command}` failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
            "run the command by hand; it must print the schema's DDL on standard output",
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|_| {
        CliError::invalid(format!(
            "schema_command `{command}` printed text that is not UTF-8"
        ))
    })?;
    Ok(SqlSource {
        name: format!("schema_command output ({command})"),
        text,
    })
}

/// Runs each statement of `source` on its own, so a failure is reported at its file and line with
/// the database's message.
fn apply_sql(db: &mut dyn Database, source: &SqlSource) -> Result<(), CliError> {
    for statement in strata_core::sql::split(&source.text, 1) {
        if let Err(e) = db.execute(&statement.sql) {
            if e.connection {
                return Err(db_err("the shadow database failed")(e));
            }
            let line = statement.line
                + e.position
                    .map(|p| {
                        statement
                            .sql
                            .chars()
                            .take(p.saturating_sub(1))
                            .filter(|&c| c == '\n')
                            .count()
                    })
                    .unwrap_or(0);
            let mut message = format!("the shadow database rejected this statement: {}", e.message);
            if let Some(detail) = &e.detail {
                message.push_str(&format!("\n  detail: {detail}"));
            }
            let hint = e.hint.clone().unwrap_or_else(|| {
                "fix the schema file; nothing was changed in the target database".to_owned()
            });
            return Err(Diagnostic::new(&source.name, line, message)
                .with_hint(hint)
                .into());
        }
    }
    Ok(())
}

// --- Ctrl-C: drop the temporary databases that are still there --------------------------------

static REGISTERED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ctrl-C arrived and the handler is cleaning up: the command's own error (its connection to the
/// shadow database was closed under it) is not the story, and the handler exits with 130.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Keeps a temporary database on the Ctrl-C list while it exists.
pub(crate) struct Registered {
    name: String,
}

impl Registered {
    pub(crate) fn new(server: &str, name: &str) -> Registered {
        HANDLER.call_once(|| {
            let _ = ctrlc::set_handler(|| {
                INTERRUPTED.store(true, Ordering::SeqCst);
                let list = REGISTERED.lock().map(|l| l.clone()).unwrap_or_default();
                for (server, name) in list {
                    match strata_postgres::shadow::drop_database(&server, &name) {
                        Ok(()) => eprintln!("interrupted: shadow database {name} dropped"),
                        Err(e) => {
                            eprintln!("interrupted: could not drop shadow database {name}: {e}")
                        }
                    }
                }
                std::process::exit(130);
            });
        });
        if let Ok(mut list) = REGISTERED.lock() {
            list.push((server.to_owned(), name.to_owned()));
        }
        Registered {
            name: name.to_owned(),
        }
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut list) = REGISTERED.lock() {
            list.retain(|(_, n)| *n != self.name);
        }
    }
}
