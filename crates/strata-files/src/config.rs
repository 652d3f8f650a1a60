//! `strata.toml`: where the migrations are, strata's own tables, and one `[env.NAME]` table per
//! database environment. Every key is optional; every problem is reported at its line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use strata_core::Diagnostic;
use toml::{Spanned, Value};

use crate::{did_you_mean, line_of_offset};

/// What `strata init` writes: the defaults, commented.
pub const CONFIG_TEMPLATE: &str = r#"# strata.toml: configuration of strata, the schema-migration tool.
# Every key is optional; the values below are the defaults unless noted.

# The versioned migration files, relative to this file.
migrations_dir = "migrations"

# The desired schema: SQL files or folders, applied in lexical order
# (for `strata diff`, `check`, `drift` and `revision --autogenerate`).
schema = ["schema"]
# Or any command that prints the DDL, e.g. an ORM bridge:
# schema_command = "python -m app.dump_ddl"

# strata's own tables: the current heads, and the append-only audit log.
version_table = "strata_version"
history_table = "strata_history"

# The environment used when `--env` is not given.
default_env = "development"

[env.development]
# Relative SQLite paths are relative to this file.
url = "sqlite://strata-dev.db"

# [env.production]
# url = "${DATABASE_URL}"                # ${VAR} is read from the environment
# shadow_url = "${SHADOW_DATABASE_URL}"  # scratch database for diff, check and test
# lock_timeout = "5s"                    # stop waiting for a lock after this long
# statement_timeout = "30m"              # cancel any statement that runs longer
# lock_retries = 3                       # retry a migration that hit lock_timeout
# lint = "enforce"                       # "enforce" | "warn" | "off"
# verify = "before-upgrade"              # applied files edited since: "warn" | "before-upgrade" | "off"
"#;

const TOP_LEVEL_KEYS: &[&str] = &[
    "migrations_dir",
    "schema",
    "schema_command",
    "version_table",
    "history_table",
    "default_env",
    "env",
    "lint",
    "versioning",
    "promotion",
    "audit",
];

const ENV_KEYS: &[&str] = &[
    "url",
    "shadow_url",
    "lock_timeout",
    "statement_timeout",
    "lock_retries",
    "lint",
    "verify",
    "signing_key",
];

const DURATION_HINT: &str =
    "write a whole number and a unit: `500ms`, `5s`, `30m` (or `30min`), `2h`, `1d`";

/// The project configuration: `strata.toml`, or [`default_config`] when there is none.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The folder of `strata.toml` (the project root); relative paths in it are relative to this.
    pub root: PathBuf,
    /// The `strata.toml` read, if any.
    pub path: Option<PathBuf>,
    pub migrations_dir: String,
    pub schema: Vec<String>,
    /// `[schema] privileges = true`: grants (tables, columns, sequences, schemas, routines,
    /// default privileges) are part of the schema compared and written. Off by default: roles
    /// are cluster-wide and differ between environments.
    pub schema_privileges: bool,
    /// `[schema] owners = true`: object owners are part of the schema. Off by default.
    pub schema_owners: bool,
    pub schema_command: Option<String>,
    pub version_table: String,
    pub history_table: String,
    pub default_env: String,
    pub envs: BTreeMap<String, EnvConfig>,
    /// The free-form `[lint]` table, read by the linter (`naming` is also read into
    /// `lint_naming`).
    pub lint: Option<toml::Table>,
    /// `[lint.naming]`: a regular expression per kind of object (one of [`LINT_NAMING_KINDS`]),
    /// validated, with its line.
    pub lint_naming: BTreeMap<String, Located<String>>,
    /// `[versioning] start`: the schema version of a database with nothing applied.
    pub versioning_start: strata_core::SchemaVersion,
    /// A `[versioning]` table is present: `check` then also verifies every `-- strata:impact`.
    pub versioning: bool,
    /// `[promotion]`: the order environments are promoted in.
    pub promotion: Option<Promotion>,
    /// `[audit] app_roles`: the roles `strata audit add` revokes UPDATE/DELETE on change logs from.
    pub audit_app_roles: Vec<String>,
}

/// The keys of `[lint.naming]`: the kinds of object whose names the linter's
/// `naming-convention` checks.
pub const LINT_NAMING_KINDS: &[&str] = &["index", "primary_key", "unique", "foreign_key", "check"];

/// One `[env.NAME]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvConfig {
    /// As written (before `${VAR}` interpolation), with its line.
    pub url: Option<Located<String>>,
    pub shadow_url: Option<Located<String>>,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    pub lock_retries: Option<u32>,
    pub lint: Option<LintMode>,
    pub verify: Option<VerifyMode>,
    /// The Ed25519 private key that signs this environment's promotion records (`strata promote
    /// export`): 64 hex digits, or the path of a file that holds them; `${VAR}` is interpolated.
    /// Never printed.
    pub signing_key: Option<Located<String>>,
}

/// A value and the `strata.toml` line it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
}

/// What `upgrade` does with lint findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LintMode {
    /// Error findings block the upgrade.
    Enforce,
    /// Findings are printed; nothing is blocked.
    Warn,
    Off,
}

impl LintMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LintMode::Enforce => "enforce",
            LintMode::Warn => "warn",
            LintMode::Off => "off",
        }
    }
}

/// What `upgrade` does when a migration file changed after it was applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyMode {
    Off,
    /// Print a warning naming each changed file, and go on (the default).
    Warn,
    /// Refuse to run anything while an applied file differs from its checksum of record.
    BeforeUpgrade,
}

impl VerifyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyMode::Off => "off",
            VerifyMode::Warn => "warn",
            VerifyMode::BeforeUpgrade => "before-upgrade",
        }
    }
}

/// A name or value from strata.toml as quoted in a diagnostic: one with an `@` may be (part of) a
/// URL with a password, so it is shown as [`strata_core::display_url`] shows it, or not at all.
fn shown(value: &str) -> String {
    if value.contains('@') {
        strata_core::display_url(value).unwrap_or_else(|| "…".to_owned())
    } else {
        value.to_owned()
    }
}

impl Config {
    /// The settings of environment `name`: its `[env.NAME]` table, or empty settings for the
    /// default environment of a configuration without environments. Anything else is an unknown
    /// environment.
    pub fn environment(&self, name: &str) -> Result<EnvConfig, Diagnostic> {
        if let Some(env) = self.envs.get(name) {
            return Ok(env.clone());
        }
        if self.envs.is_empty() && name == self.default_env {
            return Ok(EnvConfig::default());
        }
        let file = self.display_path();
        let name = &shown(name);
        if self.envs.is_empty() {
            return Err(Diagnostic::new(
                file,
                0,
                format!("unknown environment `{name}`: no environment is defined"),
            )
            .with_hint(format!(
                "add an `[env.{name}]` table with a `url` to strata.toml, or leave out `--env`"
            )));
        }
        let known: Vec<String> = self.envs.keys().map(|k| shown(k)).collect();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        let mut hint =
            format!("use `--env` with one of them, or add an `[env.{name}]` table to strata.toml");
        if let Some(close) = did_you_mean(name, &known) {
            hint = format!("did you mean `{close}`? {hint}");
        }
        Err(Diagnostic::new(
            file,
            0,
            format!(
                "unknown environment `{name}` (strata.toml defines: {})",
                known.join(", ")
            ),
        )
        .with_hint(hint))
    }

    /// `strata.toml` as shown in diagnostics: relative to the root (normally just `strata.toml`).
    pub fn display_path(&self) -> String {
        match &self.path {
            Some(path) => path
                .strip_prefix(&self.root)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| path.display().to_string()),
            None => "strata.toml".to_owned(),
        }
    }
}

/// The configuration used when there is no `strata.toml`.
pub fn default_config(root: PathBuf) -> Config {
    Config {
        root,
        path: None,
        migrations_dir: "migrations".to_owned(),
        schema: vec!["schema".to_owned()],
        schema_privileges: false,
        schema_owners: false,
        schema_command: None,
        version_table: "strata_version".to_owned(),
        history_table: "strata_history".to_owned(),
        default_env: "development".to_owned(),
        envs: BTreeMap::new(),
        lint: None,
        lint_naming: BTreeMap::new(),
        versioning_start: strata_core::SchemaVersion::default(),
        versioning: false,
        promotion: None,
        audit_app_roles: Vec::new(),
    }
}

/// `start/strata.toml`, else the first `strata.toml` in a parent directory. Whatever stands
/// there is returned, file or not: a folder named `strata.toml` (as a container bind mount of a
/// missing file creates) is for the caller to refuse, not a reason to use a parent's file.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    start
        .ancestors()
        .map(|dir| dir.join("strata.toml"))
        .find(|candidate| candidate.symlink_metadata().is_ok())
}

/// `"500ms"`, `"5s"`, `"30m"` or `"30min"`, `"2h"`, `"1d"`. A bare number has no unit and is `None`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = s.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let millis: u64 = match unit.trim_start().to_ascii_lowercase().as_str() {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    number.checked_mul(millis).map(Duration::from_millis)
}

/// Replaces every `${VAR}` in `s` with the variable's value from `env`. `path` is `strata.toml` as
/// shown in diagnostics, which point at `s.line`.
pub fn interpolate(
    path: &str,
    s: &Located<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Diagnostic> {
    interpolate_key(path, None, s, env)
}

fn interpolate_key(
    path: &str,
    key: Option<&str>,
    s: &Located<String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Diagnostic> {
    let used_by = key.map(|k| format!(" (used by {k})")).unwrap_or_default();
    // In a URL, a `${` may be part of a password: what follows it is not quoted.
    let in_url = key.is_some_and(|k| k.ends_with("url"));
    let dollar_hint = if in_url {
        "; write a `$` that is part of a password as %24"
    } else {
        ""
    };
    let error =
        |message: String, hint: String| Diagnostic::new(path, s.line, message).with_hint(hint);
    let mut out = String::with_capacity(s.value.len());
    let mut rest = s.value.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(error(
                format!("unterminated `${{` in {}", key.unwrap_or("the value")),
                format!("close it: `${{VAR}}`, for example `${{DATABASE_URL}}`{dollar_hint}"),
            ));
        };
        let name = &after[..end];
        let valid = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            let shown = if in_url {
                "a `${…}`".to_owned()
            } else {
                format!("`${{{name}}}`")
            };
            return Err(error(
                format!("{shown} is not a valid environment variable reference{used_by}"),
                format!("a variable name is letters, digits and `_`, not starting with a digit: `${{DATABASE_URL}}`{dollar_hint}"),
            ));
        }
        match env(name) {
            Some(value) if !value.is_empty() => out.push_str(&value),
            Some(_) => {
                return Err(error(
                    format!("environment variable {name} is empty{used_by}"),
                    format!("export {name}=..."),
                ))
            }
            None => {
                return Err(error(
                    format!("environment variable {name} is not set{used_by}"),
                    format!("export {name}=..."),
                ))
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The database URL for environment `env_name`: `cli_url` (`--url`) > the environment's `url` >
/// `DATABASE_URL` > `sqlite://strata.db`. Relative SQLite paths from `strata.toml` (the
/// environment's `url`, and the default when a `strata.toml` exists) are made absolute from
/// `cfg.root`; `--url` and `DATABASE_URL` are left as given (relative to the current directory).
/// Only this environment's values are interpolated.
pub fn resolve_url(
    cfg: &Config,
    env_name: &str,
    cli_url: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Diagnostic> {
    let settings = cfg.environment(env_name)?;
    if let Some(url) = cli_url {
        return Ok(url.to_owned());
    }
    if let Some(url) = &settings.url {
        let key = format!("env.{env_name}.url");
        let value = interpolate_key(&cfg.display_path(), Some(&key), url, env)?;
        return Ok(sqlite_relative_to(&value, &cfg.root));
    }
    if let Some(url) = env("DATABASE_URL").filter(|u| !u.is_empty()) {
        return Ok(url);
    }
    let default = "sqlite://strata.db";
    Ok(if cfg.path.is_some() {
        sqlite_relative_to(default, &cfg.root)
    } else {
        default.to_owned()
    })
}

/// The environment's `shadow_url`, interpolated, with a relative SQLite path made absolute from
/// `cfg.root`; `None` when the environment has none.
pub fn resolve_shadow_url(
    cfg: &Config,
    env_name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, Diagnostic> {
    let settings = cfg.environment(env_name)?;
    let Some(url) = &settings.shadow_url else {
        return Ok(None);
    };
    let key = format!("env.{env_name}.shadow_url");
    let value = interpolate_key(&cfg.display_path(), Some(&key), url, env)?;
    Ok(Some(sqlite_relative_to(&value, &cfg.root)))
}

/// `sqlite://PATH` or `sqlite:PATH` with a relative PATH, made absolute from `root`; any other URL
/// (including `sqlite::memory:`) unchanged.
fn sqlite_relative_to(url: &str, root: &Path) -> String {
    let (prefix, rest) = match url.strip_prefix("sqlite://") {
        Some(rest) => ("sqlite://", rest),
        None => match url.strip_prefix("sqlite:") {
            Some(rest) => ("sqlite:", rest),
            None => return url.to_owned(),
        },
    };
    let (file, query) = rest.split_at(rest.find('?').unwrap_or(rest.len()));
    if file.is_empty() || file == ":memory:" || Path::new(file).is_absolute() {
        return url.to_owned();
    }
    let joined = root.join(file.strip_prefix("./").unwrap_or(file));
    let absolute = std::path::absolute(&joined).unwrap_or(joined);
    format!("{prefix}{}{query}", absolute.display())
}

/// A line of `strata.toml` as shown under a diagnostic, with what may be a password masked: every
/// quoted string holding an `@` (a URL with credentials, or what may be one) is shown through
/// [`strata_core::display_url`], or as `***` when it has no `scheme://`; `password=` values are
/// masked; and a line with an `@` that is not plain `key = "value"` TOML (bare text that is no key,
/// number or boolean, a string touching a bare word) shows only its key, or nothing when the key
/// is not plain.
pub fn mask_config_line(line: &str) -> String {
    fn mask(value: &str) -> String {
        if value.contains('@') {
            strata_core::display_url(value).unwrap_or_else(|| "***".to_owned())
        } else {
            strata_core::mask_url(value)
        }
    }
    let mut out = String::with_capacity(line.len());
    let mut word = String::new();
    // Not `key = "value"` TOML: bare text that is no key, number or boolean (an `@`, a `:`, a
    // comment), or a string and a bare word touching.
    let mut odd = false;
    let mut after_string = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' {
            odd |= !word.is_empty() || after_string;
            out.push_str(&mask(&std::mem::take(&mut word)));
            let mut value = String::new();
            let mut closed = false;
            let mut escaped = false;
            for v in chars.by_ref() {
                if c == '"' && !escaped && v == '\\' {
                    escaped = true;
                    value.push(v);
                    continue;
                }
                if v == c && !escaped {
                    closed = true;
                    break;
                }
                escaped = false;
                value.push(v);
            }
            out.push(c);
            out.push_str(&mask(&value));
            if closed {
                out.push(c);
            }
            after_string = true;
        } else if c.is_whitespace() || matches!(c, '=' | ',' | '{' | '}' | '[' | ']') {
            out.push_str(&mask(&std::mem::take(&mut word)));
            out.push(c);
            after_string = false;
        } else {
            // Bare TOML (keys, numbers, booleans) is `[A-Za-z0-9_.+-]`.
            odd |=
                after_string || !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'));
            word.push(c);
        }
    }
    out.push_str(&mask(&word));
    if line.contains('@') {
        // A plain key (`url`, `env.x.url`) before the first `=`, or nothing is shown.
        let key = line.find('=').map(|eq| &line[..eq]).filter(|key| {
            !key.trim().is_empty()
                && key.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') || c.is_whitespace()
                })
        });
        match key {
            None => return "***".to_owned(),
            // No part of the value can be told from a password: only the key is shown.
            Some(key) if odd => return format!("{key}= ***"),
            Some(_) => {}
        }
    }
    out
}

/// Parses `strata.toml`. `path` is the file as shown in diagnostics; `root` its folder.
pub fn parse_config(path: &str, root: PathBuf, text: &str) -> Result<Config, Vec<Diagnostic>> {
    let file_name = Path::new(path)
        .file_name()
        .map_or_else(|| "strata.toml".into(), |n| n.to_os_string());
    let mut config = default_config(root);
    config.path = Some(config.root.join(file_name));
    let mut reader = Reader {
        path,
        text,
        diagnostics: Vec::new(),
    };

    // Keys carry their spans; values cannot (implicit tables such as `env` in `[env.x]` have
    // none), so problems with a value are reported at its key's line.
    let top: BTreeMap<Spanned<String>, Value> = match toml::from_str(text) {
        Ok(top) => top,
        Err(e) => {
            let line = e.span().map_or(0, |span| line_of_offset(text, span.start));
            let message = e.message().trim().replace('\n', "; ");
            let hint = if message.contains("duplicate key `schema`") {
                schema_table::BOTH_FORMS_HINT
            } else {
                "strata.toml is TOML: `key = \"value\"` lines and `[env.NAME]` tables; quote strings"
            };
            return Err(vec![Diagnostic::new(
                path,
                line,
                format!("invalid TOML: {message}"),
            )
            .with_hint(hint)]);
        }
    };

    let mut default_env_line = None;
    let mut envs_valid = false;
    for (key, value) in &top {
        let line = reader.line(key.span().start);
        match key.get_ref().as_str() {
            name @ ("migrations_dir" | "version_table" | "history_table" | "schema_command") => {
                if let Some(v) = reader.string(line, name, value) {
                    if name.ends_with("_table") {
                        reader.check_table_name(line, name, &v);
                    }
                    match name {
                        "migrations_dir" => config.migrations_dir = v,
                        "version_table" => config.version_table = v,
                        "history_table" => config.history_table = v,
                        _ => config.schema_command = Some(v),
                    }
                }
            }
            "default_env" => {
                if let Some(v) = reader.string(line, "default_env", value) {
                    config.default_env = v;
                    default_env_line = Some(line);
                }
            }
            "schema" if value.is_table() => reader.schema_table(line, value, &mut config),
            "schema" => {
                if let Some(schema) = reader.string_list(line, "schema", value) {
                    config.schema = schema;
                }
            }
            "lint" => match value {
                Value::Table(table) => {
                    config.lint = Some(table.clone());
                    if let Some(naming) = table.get("naming") {
                        config.lint_naming = reader.lint_naming(line, naming);
                    }
                }
                other => reader.wrong_type(line, "lint", "a table (`[lint]`)", other),
            },
            "env" => envs_valid = reader.check_envs(line, value),
            "promotion" => config.promotion = reader.promotion(line, value),
            "audit" => config.audit_app_roles = reader.audit(line, value),
            "versioning" => {
                config.versioning = true;
                if let Some(start) = reader.versioning(line, value) {
                    config.versioning_start = start;
                }
            }
            other => reader.unknown_key(line, other, "", TOP_LEVEL_KEYS),
        }
    }

    if envs_valid {
        #[derive(Deserialize)]
        struct EnvPart {
            #[serde(default)]
            env: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Value>>,
        }
        if let Ok(part) = toml::from_str::<EnvPart>(text) {
            for (name, table) in part.env {
                let env = reader.env(name.get_ref(), &table);
                config.envs.insert(name.into_inner(), env);
            }
        }
    }

    if let Some(line) = default_env_line {
        if !config.envs.is_empty() && !config.envs.contains_key(&config.default_env) {
            let known: Vec<String> = config.envs.keys().map(|k| shown(k)).collect();
            reader.error(
                line,
                format!(
                    "default_env is `{}`, but there is no `[env.{}]` table",
                    shown(&config.default_env),
                    shown(&config.default_env)
                ),
                format!(
                    "set default_env to one of the environments defined here ({})",
                    known.join(", ")
                ),
            );
        }
    }

    if reader.diagnostics.is_empty() {
        Ok(config)
    } else {
        reader.diagnostics.sort_by_key(|d| d.line);
        Err(reader.diagnostics)
    }
}

struct Reader<'a> {
    path: &'a str,
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn line(&self, offset: usize) -> usize {
        line_of_offset(self.text, offset)
    }

    /// `[lint.naming]`: `kind = "regex"` for the kinds of [`LINT_NAMING_KINDS`]. `line` is the
    /// line of `lint`, for problems whose key has no line of its own.
    fn lint_naming(&mut self, line: usize, value: &Value) -> BTreeMap<String, Located<String>> {
        let mut out = BTreeMap::new();
        let Value::Table(table) = value else {
            self.wrong_type(line, "lint.naming", "a table (`[lint.naming]`)", value);
            return out;
        };
        // The keys' lines, read again with spans (values have none).
        #[derive(Deserialize)]
        struct Top {
            lint: LintPart,
        }
        #[derive(Deserialize)]
        struct LintPart {
            naming: BTreeMap<Spanned<String>, Value>,
        }
        let lines: BTreeMap<String, usize> = toml::from_str::<Top>(self.text)
            .map(|top| {
                top.lint
                    .naming
                    .into_keys()
                    .map(|k| {
                        (
                            k.get_ref().clone(),
                            line_of_offset(self.text, k.span().start),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (kind, pattern) in table {
            let line = lines.get(kind).copied().unwrap_or(line);
            if !LINT_NAMING_KINDS.contains(&kind.as_str()) {
                self.unknown_key(line, kind, "[lint.naming]", LINT_NAMING_KINDS);
                continue;
            }
            let key = format!("lint.naming.{kind}");
            let Some(pattern) = self.string(line, &key, pattern) else {
                continue;
            };
            if let Err(e) = regex::Regex::new(&pattern) {
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or("").trim().to_owned();
                self.error(
                    line,
                    format!("`{key}` is not a valid regular expression: {last}"),
                    "the syntax is Rust's regex crate; in TOML, single quotes keep backslashes: index = '^idx_\\w+$'",
                );
                continue;
            }
            out.insert(
                kind.clone(),
                Located {
                    value: pattern,
                    line,
                },
            );
        }
        out
    }

    fn error(&mut self, line: usize, message: impl Into<String>, hint: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::new(self.path, line, message).with_hint(hint));
    }

    fn unknown_key(&mut self, line: usize, key: &str, table: &str, valid: &[&str]) {
        let mut hint = format!(
            "valid keys{}: {}",
            if table.is_empty() {
                String::new()
            } else {
                format!(" in {table}")
            },
            valid.join(", ")
        );
        if let Some(close) = did_you_mean(key, valid) {
            hint = format!("did you mean `{close}`? {hint}");
        }
        let place = if table.is_empty() {
            String::new()
        } else {
            format!(" in {table}")
        };
        self.error(line, format!("unknown key `{}`{place}", shown(key)), hint);
    }

    fn wrong_type(&mut self, line: usize, key: &str, expected: &str, found: &Value) {
        self.error(
            line,
            format!(
                "`{key}` must be {expected}, not {} {}",
                article(found.type_str()),
                found.type_str()
            ),
            format!("for example: {}", example(key)),
        );
    }

    /// A non-empty string value.
    fn string(&mut self, line: usize, key: &str, value: &Value) -> Option<String> {
        match value {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::String(_) => {
                self.error(
                    line,
                    format!("`{key}` must not be empty"),
                    format!("for example: {}", example(key)),
                );
                None
            }
            other => {
                self.wrong_type(line, key, "a string", other);
                None
            }
        }
    }

    /// `table` or `schema.table`: no more parts, none empty, no control characters.
    fn check_table_name(&mut self, line: usize, key: &str, name: &str) {
        let parts: Vec<&str> = name.split('.').collect();
        let problem = if parts.len() > 2 {
            Some(format!(
                "has {} dot-separated parts; at most two (`schema.table`) are allowed",
                parts.len()
            ))
        } else if parts.iter().any(|p| p.trim().is_empty()) {
            Some("has an empty part around its `.`".to_owned())
        } else if name.chars().any(char::is_control) {
            Some("contains a control character".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            let shown: String = name.escape_debug().collect();
            let default = if key == "version_table" {
                "strata_version"
            } else {
                "strata_history"
            };
            self.error(
                line,
                format!("`{key}` = \"{shown}\" {problem}"),
                format!(
                    "write `table` or `schema.table` (a name with a dot in it cannot be configured), for example: {key} = \"app.{default}\""
                ),
            );
        }
    }

    /// An array of strings (or one string).
    fn string_list(&mut self, line: usize, key: &str, value: &Value) -> Option<Vec<String>> {
        match value {
            Value::String(s) => Some(vec![s.clone()]),
            Value::Array(items) => {
                let strings: Option<Vec<String>> = items
                    .iter()
                    .map(|v| v.as_str().map(str::to_owned))
                    .collect();
                if strings.is_none() {
                    self.error(
                        line,
                        format!("`{key}` must be a list of strings"),
                        format!("for example: {}", example(key)),
                    );
                }
                strings
            }
            other => {
                self.wrong_type(line, key, "a list of strings", other);
                None
            }
        }
    }

    /// `env` must be a table of tables; reports what is not. True when its shape is right.
    fn check_envs(&mut self, line: usize, value: &Value) -> bool {
        let Value::Table(envs) = value else {
            self.wrong_type(line, "env", "a table of environments (`[env.NAME]`)", value);
            return false;
        };
        let mut ok = true;
        for (name, env) in envs {
            let name = shown(name);
            if !env.is_table() {
                self.error(
                    line,
                    format!("`env.{name}` must be a table, not {} {}", article(env.type_str()), env.type_str()),
                    format!("write the environment as a table:\n    [env.{name}]\n    url = \"postgres://...\""),
                );
                ok = false;
            }
        }
        ok
    }

    fn env(&mut self, name: &str, table: &BTreeMap<Spanned<String>, Value>) -> EnvConfig {
        let mut env = EnvConfig::default();
        for (key, value) in table {
            let key_name = key.get_ref().as_str();
            let qualified = format!("env.{}.{}", shown(name), shown(key_name));
            let line = self.line(key.span().start);
            match key_name {
                "signing_key" => {
                    if let Some(s) = self.string(line, &qualified, value) {
                        env.signing_key = Some(Located { value: s, line });
                    }
                }
                "url" | "shadow_url" => {
                    if let Some(s) = self.string(line, &qualified, value) {
                        let located = Some(Located { value: s, line });
                        if key_name == "url" {
                            env.url = located;
                        } else {
                            env.shadow_url = located;
                        }
                    }
                }
                "lock_timeout" | "statement_timeout" => {
                    let parsed = match value {
                        Value::String(s) => match parse_duration(s) {
                            Some(d) => Some(d),
                            None => {
                                let hint = if !s.trim().is_empty() && s.trim().bytes().all(|b| b.is_ascii_digit()) {
                                    format!("add a unit: `{}ms` or `{}s`; {DURATION_HINT}", s.trim(), s.trim())
                                } else {
                                    DURATION_HINT.to_owned()
                                };
                                self.error(line, format!("invalid duration `{}` for `{qualified}`", shown(s)), hint);
                                None
                            }
                        },
                        Value::Integer(n) => {
                            self.error(
                                line,
                                format!("`{qualified}` needs a unit"),
                                format!("write it as a string with a unit: `\"{n}ms\"` or `\"{n}s\"`; {DURATION_HINT}"),
                            );
                            None
                        }
                        other => {
                            self.wrong_type(line, &qualified, "a duration string", other);
                            None
                        }
                    };
                    if key_name == "lock_timeout" {
                        env.lock_timeout = parsed;
                    } else {
                        env.statement_timeout = parsed;
                    }
                }
                "lock_retries" => match value {
                    Value::Integer(n) => match u32::try_from(*n) {
                        Ok(n) => env.lock_retries = Some(n),
                        Err(_) => self.error(
                            line,
                            format!("`{qualified}` must be a whole number from 0 up, not {n}"),
                            "for example: lock_retries = 3 (0 disables retries)",
                        ),
                    },
                    other => self.wrong_type(line, &qualified, "a whole number", other),
                },
                "lint" => match value {
                    Value::String(s) => match s.as_str() {
                        "enforce" => env.lint = Some(LintMode::Enforce),
                        "warn" => env.lint = Some(LintMode::Warn),
                        "off" => env.lint = Some(LintMode::Off),
                        _ => self.error(
                            line,
                            format!("`{qualified}` must be \"enforce\", \"warn\" or \"off\", not \"{}\"", shown(s)),
                            "\"enforce\" blocks upgrades on error findings, \"warn\" only prints them, \"off\" skips linting",
                        ),
                    },
                    other => self.wrong_type(line, &qualified, "a string", other),
                },
                "verify" => match value {
                    Value::String(s) => match s.as_str() {
                        "off" => env.verify = Some(VerifyMode::Off),
                        "warn" => env.verify = Some(VerifyMode::Warn),
                        "before-upgrade" => env.verify = Some(VerifyMode::BeforeUpgrade),
                        _ => self.error(
                            line,
                            format!("`{qualified}` must be \"off\", \"warn\" or \"before-upgrade\", not \"{}\"", s.escape_debug()),
                            "what `upgrade` does when an applied migration file changed: \"warn\" (the default) names the files and goes on, \"before-upgrade\" refuses to run, \"off\" does not look",
                        ),
                    },
                    other => self.wrong_type(line, &qualified, "a string", other),
                },
                other => {
                    self.unknown_key(line, other, &format!("[env.{}]", shown(name)), ENV_KEYS);
                }
            }
        }
        env
    }
}

fn article(type_name: &str) -> &'static str {
    if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// An example line for a key (for type errors).
fn example(key: &str) -> String {
    let bare = key.rsplit('.').next().unwrap_or(key);
    match bare {
        "migrations_dir" => "migrations_dir = \"migrations\"".into(),
        "schema" => "schema = [\"schema\"]".into(),
        "files" => "[schema]\n    files = [\"schema\"]".into(),
        "privileges" => "[schema]\n    privileges = true".into(),
        "owners" => "[schema]\n    owners = true".into(),
        "schema_command" => "schema_command = \"python -m app.dump_ddl\"".into(),
        "version_table" => "version_table = \"strata_version\"".into(),
        "history_table" => "history_table = \"strata_history\"".into(),
        "default_env" => "default_env = \"development\"".into(),
        "url" => "url = \"postgres://app@localhost/app\" or url = \"${DATABASE_URL}\"".into(),
        "shadow_url" => "shadow_url = \"${SHADOW_DATABASE_URL}\"".into(),
        "lock_timeout" => "lock_timeout = \"5s\"".into(),
        "statement_timeout" => "statement_timeout = \"30m\"".into(),
        "lock_retries" => "lock_retries = 3".into(),
        "lint" if key.starts_with("env.") => "lint = \"enforce\"".into(),
        "verify" => "verify = \"before-upgrade\"".into(),
        "lint" => "[lint]\n    pg_version = 15".into(),
        "naming" => "[lint.naming]\n    foreign_key = \"^fk_\"".into(),
        "index" => "index = \"^idx_\"".into(),
        "primary_key" => "primary_key = \"_pkey$\"".into(),
        "unique" => "unique = \"^uq_\"".into(),
        "foreign_key" => "foreign_key = \"^fk_\"".into(),
        "check" => "check = \"^ck_\"".into(),
        "env" => "[env.development]\n    url = \"sqlite://strata-dev.db\"".into(),
        "versioning" => "[versioning]\n    start = \"1.0.0\"".into(),
        "start" => "start = \"1.0.0\"".into(),
        _ => format!("{bare} = ..."),
    }
}

mod audit;
mod promotion;
mod versioning;

pub use promotion::Promotion;

mod schema_table;
#[cfg(test)]
mod tests;
