//! Migration files and `strata.toml` on disk, turned into revisions and configuration.
//!
//! Parsing is pure (text in, values or `file:line` diagnostics out); only [`load`] reads the disk.
//!
//! INTERFACE CONTRACT (used by strata-engine and strata-cli; keep these signatures):
//!
//! ```text
//! // migration.rs
//! pub struct Section { pub sql: String, pub line: usize /* 1-based file line of the first SQL line */,
//!                      pub statements: Vec<strata_core::sql::Statement> /* lines are file lines */ }
//! impl Section { pub fn is_empty(&self) -> bool /* no statements */ }
//! pub struct MigrationFile {
//!     pub id: String, pub slug: String,
//!     pub path: String,               // as displayed to the user, e.g. "migrations/2026..._x.sql"
//!     pub message: Option<String>, pub revises: Vec<String>, pub labels: Vec<String>,
//!     pub depends_on: Vec<String>,
//!     pub transaction: Option<bool>,  // explicit `-- strata:transaction on|off`
//!     pub destructive_downgrade: Option<String>, pub irreversible: Option<String>,
//!     pub up: Section, pub down: Option<Section>,   // down None only when irreversible
//!     pub checksum: strata_core::Checksum,
//!     pub header_lines: BTreeMap<String, usize>,    // header key -> its line, for diagnostics
//! }
//! impl MigrationFile {
//!     pub fn message_or_slug(&self) -> String;
//!     /// Some(reason) when the up (resp. down) must run outside a transaction: explicit `off`,
//!     /// or a statement that cannot run in one (the reason names it: "CREATE INDEX CONCURRENTLY at line 7").
//!     pub fn non_transactional(&self, down: bool) -> Option<String>;
//! }
//! pub fn parse_migration(path: &str, file_name: &str, text: &str) -> Result<MigrationFile, Vec<Diagnostic>>;
//! pub struct NewMigration { pub id, pub slug, pub message, pub revises: Vec<String>, pub labels: Vec<String>,
//!                           pub depends_on: Vec<String>, pub up: String, pub down: String }
//! pub fn render_migration(m: &NewMigration) -> String;   // parse_migration(render(m)) round-trips
//! pub fn slugify(message: &str) -> String;              // "Add users!" -> "add_users"
//!
//! // load.rs (the only I/O)
//! pub struct Migrations { pub files: Vec<MigrationFile>, pub graph: strata_graph::Graph }
//! impl Migrations { pub fn get(&self, id: &str) -> Option<&MigrationFile>; }
//! /// Reads every `*.sql` in `dir` (not recursive), parses, validates the whole tree and builds the
//! /// graph; all problems at once, each as file:line. `display_base` makes paths relative for display.
//! pub fn load(dir: &Path, display_base: &Path) -> Result<Migrations, Vec<Diagnostic>>;
//! pub fn build(files: Vec<MigrationFile>) -> Result<Migrations, Vec<Diagnostic>>;
//!
//! // config.rs
//! pub struct Config { pub root: PathBuf /* folder of strata.toml */, pub path: Option<PathBuf>,
//!     pub migrations_dir: String, pub schema: Vec<String>, pub schema_command: Option<String>,
//!     pub version_table: String, pub history_table: String, pub default_env: String,
//!     pub envs: BTreeMap<String, EnvConfig>, pub lint: Option<toml::Table> }
//! pub struct EnvConfig { pub url: Option<Located<String>>, pub shadow_url: Option<Located<String>>,
//!     pub lock_timeout: Option<Duration>, pub statement_timeout: Option<Duration>,
//!     pub lock_retries: Option<u32>, pub lint: Option<LintMode> }
//! pub struct Located<T> { pub value: T, pub line: usize }
//! pub enum LintMode { Enforce, Warn, Off }
//! pub fn parse_config(path: &str, root: PathBuf, text: &str) -> Result<Config, Vec<Diagnostic>>;
//! pub fn find_config(start: &Path) -> Option<PathBuf>;   // ./strata.toml, searched upward
//! pub fn default_config(root: PathBuf) -> Config;       // no strata.toml
//! pub fn interpolate(path: &str, s: &Located<String>, env: &dyn Fn(&str) -> Option<String>) -> Result<String, Diagnostic>;
//! pub fn parse_duration(s: &str) -> Option<Duration>;   // "500ms" "5s" "30m" "2h" "1d"
//! /// URL precedence: cli > env's url > DATABASE_URL > sqlite://strata.db; sqlite paths relative to root.
//! pub fn resolve_url(cfg: &Config, env_name: &str, cli_url: Option<&str>, env: &dyn Fn(&str)->Option<String>) -> Result<String, Diagnostic>;
//! pub const CONFIG_TEMPLATE: &str;   // what `strata init` writes, commented
//! ```
