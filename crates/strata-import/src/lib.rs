//! `strata import`: the migration histories of other tools as strata files, and the SQL that
//! adopts what each database already applied.
//!
//! One module per source format (diesel, sqlx, golang-migrate, dbmate, goose, Flyway,
//! maragudk/migrate, Sqitch, Liquibase formatted SQL) reads that tool's layout into
//! [`SourceMigration`]s (the up, the
//! down, the transaction setting, the version and the checksum the tool records); [`convert`]
//! turns them into strata files with a linear `revises` chain and a
//! `-- strata:imported-from PATH` header. [`adopt`] reads the rows of the tool's own table (given
//! as text by the caller) and renders the `stamp` rows of strata's history and version tables.
//!
//! Alembic ([`alembic`]) keeps its revision graph and takes its SQL from Alembic's offline mode,
//! which the caller runs. No I/O except [`read_dir`], which reads the source folder.

pub mod adopt;
pub mod alembic;
pub mod dbmate;
pub mod diesel;
pub mod flyway;
pub mod golang_migrate;
pub mod goose;
pub mod liquibase;
pub mod maragudk;
pub mod sqitch;
pub mod sqlx;

use std::path::Path;
use strata_core::{sql, Checksum, Diagnostic};

/// A tool whose history strata can import.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    Diesel,
    Sqlx,
    GolangMigrate,
    Dbmate,
    Goose,
    Flyway,
    /// maragudk/migrate (Harness).
    MaragudkMigrate,
    Sqitch,
    LiquibaseSql,
    /// Alembic: converted through its offline mode ([`alembic`]).
    Alembic,
}

/// Every name `--from` accepts.
pub const FORMAT_NAMES: &[&str] = &[
    "diesel",
    "sqlx",
    "golang-migrate",
    "dbmate",
    "goose",
    "flyway",
    "maragudk-migrate",
    "sqitch",
    "liquibase-sql",
    "alembic",
];

impl Format {
    /// The format named `name`; `Err` with a message naming the formats otherwise.
    pub fn parse(name: &str) -> Result<Format, String> {
        Ok(match name {
            "diesel" => Format::Diesel,
            "sqlx" => Format::Sqlx,
            "golang-migrate" => Format::GolangMigrate,
            "dbmate" => Format::Dbmate,
            "goose" => Format::Goose,
            "flyway" => Format::Flyway,
            "maragudk-migrate" => Format::MaragudkMigrate,
            "sqitch" => Format::Sqitch,
            "liquibase-sql" => Format::LiquibaseSql,
            "alembic" => Format::Alembic,
            other => {
                return Err(format!(
                    "unknown source format `{other}`; expected one of: {}",
                    FORMAT_NAMES.join(", ")
                ))
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Diesel => "diesel",
            Format::Sqlx => "sqlx",
            Format::GolangMigrate => "golang-migrate",
            Format::Dbmate => "dbmate",
            Format::Goose => "goose",
            Format::Flyway => "flyway",
            Format::MaragudkMigrate => "maragudk-migrate",
            Format::Sqitch => "sqitch",
            Format::LiquibaseSql => "liquibase-sql",
            Format::Alembic => "alembic",
        }
    }

    /// The folder the tool uses by default, relative to the project.
    pub fn default_dir(self) -> &'static str {
        match self {
            Format::Diesel | Format::Sqlx | Format::GolangMigrate => "migrations",
            Format::Dbmate => "db/migrations",
            Format::Goose => "migrations",
            Format::Flyway => "sql",
            Format::MaragudkMigrate => "migrations",
            Format::Sqitch => ".",
            Format::LiquibaseSql => "changelog",
            Format::Alembic => ".",
        }
    }

    /// The table the tool records applied migrations in, by default.
    pub fn default_table(self) -> &'static str {
        match self {
            Format::Diesel => "__diesel_schema_migrations",
            Format::Sqlx => "_sqlx_migrations",
            Format::GolangMigrate | Format::Dbmate => "schema_migrations",
            Format::Goose => "goose_db_version",
            Format::Flyway => "flyway_schema_history",
            Format::MaragudkMigrate => "migrations",
            Format::Sqitch => "sqitch.changes",
            Format::LiquibaseSql => "databasechangelog",
            Format::Alembic => "alembic_version",
        }
    }
}

/// A file of the source folder: its path relative to the folder (`/`-separated) and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// One migration as the source tool sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceMigration {
    /// The version as the tool records it in its table (diesel: the folder's prefix without
    /// dashes; Flyway: dots, as in `1.2`).
    pub version: String,
    /// The description, as the tool derives it from the file name.
    pub name: String,
    pub up: String,
    /// `None`: the tool has no down for it.
    pub down: Option<String>,
    /// Whether the tool runs it in a transaction.
    pub transaction: bool,
    /// The file (or folder) it came from, relative to the source folder.
    pub path: String,
    /// The checksum the tool records when it applies the migration (sqlx: SHA-384 in hex;
    /// Flyway: CRC32 as a signed integer), to compare on adoption.
    pub tool_checksum: Option<String>,
    /// Versions it requires besides those before it (Sqitch's dependencies), written as
    /// `-- strata:depends-on`.
    pub depends_on: Vec<String>,
}

impl SourceMigration {
    /// A migration as most tools have it: no checksum of the tool's own to compare on adoption and
    /// no dependencies besides the migrations before it.
    pub fn new(
        version: String,
        name: String,
        up: String,
        down: Option<String>,
        transaction: bool,
        path: String,
    ) -> SourceMigration {
        SourceMigration {
            version,
            name,
            up,
            down,
            transaction,
            path,
            tool_checksum: None,
            depends_on: Vec::new(),
        }
    }
}

/// One converted migration: a strata file to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Converted {
    /// The strata revision id.
    pub id: String,
    /// The source tool's version.
    pub version: String,
    pub file_name: String,
    pub text: String,
    pub checksum: Checksum,
    /// See [`SourceMigration::tool_checksum`].
    pub tool_checksum: Option<String>,
    pub source_path: String,
    /// Its parents.
    pub revises: Vec<String>,
    /// Revisions it depends on without being their child.
    pub depends_on: Vec<String>,
}

/// The result of reading a source folder.
#[derive(Clone, Debug, Default)]
pub struct Import {
    /// The project the history belongs to, where the tool names one (Sqitch's `%project`):
    /// adoption reads only its rows.
    pub project: Option<String>,
    /// In the order the tool applies them.
    pub migrations: Vec<Converted>,
    /// Files left out, with what strata does with them instead (Flyway repeatable scripts and
    /// callbacks, files that are not migrations).
    pub notes: Vec<String>,
}

/// The reader's output before conversion.
#[derive(Default)]
pub struct Read {
    pub project: Option<String>,
    pub migrations: Vec<SourceMigration>,
    pub notes: Vec<String>,
}

/// Reads every migration-related file under `dir` (recursively: `.sql`, `.toml`, `.conf`,
/// `.plan`), with paths relative to it, sorted.
pub fn read_dir(dir: &Path) -> std::io::Result<Vec<SourceFile>> {
    read_dir_with(dir, &[".sql", ".toml", ".conf", ".plan"])
}

/// [`read_dir`] for the files whose names end with one of `extensions`.
pub fn read_dir_with(dir: &Path, extensions: &[&str]) -> std::io::Result<Vec<SourceFile>> {
    let mut out = Vec::new();
    walk(dir, "", extensions, &mut out)?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn walk(
    dir: &Path,
    prefix: &str,
    extensions: &[&str],
    out: &mut Vec<SourceFile>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if name != "__pycache__" {
                walk(&entry.path(), &path, extensions, out)?;
            }
        } else if extensions.iter().any(|ext| name.ends_with(ext)) {
            let bytes = std::fs::read(entry.path())?;
            let text = String::from_utf8(bytes).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{path} is not UTF-8"),
                )
            })?;
            out.push(SourceFile { path, text });
        }
    }
    Ok(())
}

/// Reads `files` as the layout of `format` and converts them to strata files.
pub fn convert(format: Format, files: &[SourceFile]) -> Result<Import, Vec<Diagnostic>> {
    let read = match format {
        Format::Diesel => diesel::read(files)?,
        Format::Sqlx => sqlx::read(files)?,
        Format::GolangMigrate => golang_migrate::read(files)?,
        Format::Dbmate => dbmate::read(files)?,
        Format::Goose => goose::read(files)?,
        Format::Flyway => flyway::read(files)?,
        Format::MaragudkMigrate => maragudk::read(files)?,
        Format::Sqitch => sqitch::read(files)?,
        Format::LiquibaseSql => liquibase::read(files)?,
        Format::Alembic => {
            return Err(vec![Diagnostic::new(
                "alembic.ini",
                0,
                "Alembic histories are converted through Alembic's offline mode",
            )
            .with_hint("use strata_import::alembic::convert with `alembic upgrade heads --sql` and `alembic downgrade heads:base --sql`")])
        }
    };
    let mut migrations = read.migrations;
    // diesel, dbmate and maragudk/migrate order versions as text (diesel's 18-digit `…-0000` versions fall between
    // the 14-digit ones by their prefix); the others by number.
    let textual = matches!(
        format,
        Format::Diesel | Format::Dbmate | Format::MaragudkMigrate
    );
    migrations.sort_by(|a, b| {
        if matches!(format, Format::Sqitch | Format::LiquibaseSql) {
            std::cmp::Ordering::Equal // the plan's or changelogs' order (a stable sort keeps it)
        } else if textual {
            a.version.cmp(&b.version)
        } else {
            compare_versions(&a.version, &b.version)
        }
    });
    let mut problems = Vec::new();
    for pair in migrations.windows(2) {
        if adopt::version_key(&pair[0].version) == adopt::version_key(&pair[1].version) {
            problems.push(
                Diagnostic::new(
                    &pair[1].path,
                    0,
                    format!(
                        "version {} is used by {} and {}",
                        pair[1].version, pair[0].path, pair[1].path
                    ),
                )
                .with_hint("give each migration its own version before importing"),
            );
        }
    }
    let mut out = Import {
        project: read.project,
        migrations: Vec::with_capacity(migrations.len()),
        notes: read.notes,
    };
    let mut seen = std::collections::BTreeMap::new();
    let mut previous: Option<String> = None;
    for m in &migrations {
        let id = revision_id(&m.version);
        if let Some(other) = seen.insert(id.clone(), m.path.clone()) {
            problems.push(
                Diagnostic::new(
                    &m.path,
                    0,
                    format!("{} and {other} both become revision {id}", m.path),
                )
                .with_hint("rename one of the versions so they differ in letters or digits"),
            );
        }
        let mut depends_on = Vec::new();
        for dep in &m.depends_on {
            match seen.get(&revision_id(dep)) {
                Some(_) => depends_on.push(revision_id(dep)),
                None => problems.push(
                    Diagnostic::new(
                        &m.path,
                        0,
                        format!(
                            "{} requires {dep}, which comes later or not at all",
                            m.version
                        ),
                    )
                    .with_hint("a change may only require changes planned before it"),
                ),
            }
        }
        let converted = render(m, &id, previous.as_deref(), &depends_on);
        previous = Some(id);
        out.migrations.push(converted);
    }
    crate::outcome(out, problems)
}

/// The strata revision id of a source version: the version itself when it is letters and digits
/// only; otherwise every run of other characters becomes `x` (Flyway `1.2.1` -> `1x2x1`). The
/// original stays in the file's `-- strata:imported-from` line and message.
pub fn revision_id(version: &str) -> String {
    let mut id = String::with_capacity(version.len());
    let mut in_run = false;
    for c in version.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c);
            in_run = false;
        } else if !in_run && !id.is_empty() {
            id.push('x');
            in_run = true;
        }
    }
    if in_run {
        id.pop();
    }
    if id.is_empty() {
        "0".to_owned()
    } else {
        id
    }
}

/// Orders versions as the tools do: by their numeric parts (`1.10` after `1.9`, `0002` equal
/// to `2`), then as text.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    fn parts(v: &str) -> Vec<u128> {
        v.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse::<u128>().unwrap_or(u128::MAX))
            .collect()
    }
    let (pa, pb) = (parts(a), parts(b));
    let numeric = !pa.is_empty()
        && !pb.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '_'))
        && b.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '_'));
    if numeric {
        // Flyway: trailing zero parts do not count (1.0 == 1).
        let trim = |mut v: Vec<u128>| {
            while v.len() > 1 && v.last() == Some(&0) {
                v.pop();
            }
            v
        };
        trim(pa).cmp(&trim(pb))
    } else {
        a.cmp(b)
    }
}

/// The reason written for a migration the source tool has no down for (or an empty one).
pub const NO_DOWN: &str = "imported without a down";

/// Whether `sql` holds `BEGIN`/`COMMIT`-style transaction control, which strata refuses inside
/// a migration it wraps in a transaction.
fn controls_transactions(text: &str) -> bool {
    sql::split(text, 1).iter().any(|s| {
        let words: Vec<String> = s
            .sql
            .split_whitespace()
            .take(2)
            .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
            .collect();
        match words.first().map(String::as_str) {
            Some("COMMIT" | "ROLLBACK" | "ABORT" | "END") => true,
            Some("BEGIN") => !matches!(words.get(1).map(String::as_str), Some("ATOMIC")),
            Some("START") => words.get(1).map(String::as_str) == Some("TRANSACTION"),
            _ => false,
        }
    })
}

fn render(
    m: &SourceMigration,
    id: &str,
    previous: Option<&str>,
    depends_on: &[String],
) -> Converted {
    let down = m.down.as_deref().filter(|d| !sql::split(d, 1).is_empty());
    let transaction =
        m.transaction && !controls_transactions(&m.up) && !down.is_some_and(controls_transactions);
    let mut text = String::new();
    let message = m.name.replace(['\r', '\n'], " ");
    let message = message.trim();
    if !message.is_empty() {
        text.push_str(&format!("-- strata:message {message}\n"));
    }
    if let Some(previous) = previous {
        text.push_str(&format!("-- strata:revises {previous}\n"));
    }
    if !depends_on.is_empty() {
        text.push_str(&format!("-- strata:depends-on {}\n", depends_on.join(" ")));
    }
    if !transaction {
        text.push_str("-- strata:transaction off\n");
    }
    // Without SQL in the up (a merge, an empty migration) no down is needed to revert it.
    if down.is_none() && !sql::split(&m.up, 1).is_empty() {
        text.push_str(&format!("-- strata:irreversible {NO_DOWN}\n"));
    }
    text.push_str(&format!("-- strata:imported-from {}\n\n", m.path));
    text.push_str("-- strata:up\n");
    push_body(&mut text, &m.up);
    text.push_str("\n-- strata:down\n");
    if let Some(down) = down {
        push_body(&mut text, down);
    }
    let slug = strata_files::slugify(if message.is_empty() { id } else { message });
    Converted {
        id: id.to_owned(),
        version: m.version.clone(),
        file_name: format!("{id}_{slug}.sql"),
        checksum: Checksum::of_text(&text),
        text,
        tool_checksum: m.tool_checksum.clone(),
        source_path: m.path.clone(),
        revises: previous.map(str::to_owned).into_iter().collect(),
        depends_on: depends_on.to_vec(),
    }
}

pub(crate) fn push_body(out: &mut String, body: &str) {
    let body = body.trim_start_matches(['\n', '\r']).trim_end();
    if !body.is_empty() {
        out.push_str(body);
        out.push('\n');
    }
}

/// The file name part before the first `_`, and the rest without `suffix`.
pub(crate) fn split_name<'a>(name: &'a str, suffix: &str) -> Option<(&'a str, &'a str)> {
    let stem = name.strip_suffix(suffix)?;
    match stem.split_once('_') {
        Some((version, rest)) => Some((version, rest)),
        None => Some((stem, "")),
    }
}

/// What a reader returns: `value` when it found no problems, else every problem it found.
pub(crate) fn outcome<T>(value: T, problems: Vec<Diagnostic>) -> Result<T, Vec<Diagnostic>> {
    if problems.is_empty() {
        Ok(value)
    } else {
        Err(problems)
    }
}

/// A source file, for the readers' unit tests.
#[cfg(test)]
pub(crate) fn source_file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.into(),
        text: text.into(),
    }
}

/// A diagnostic for a file that looks like a migration but cannot be read as one.
pub(crate) fn bad(path: &str, line: usize, message: String, hint: &str) -> Diagnostic {
    Diagnostic::new(path, line, message).with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_versions() {
        assert_eq!(revision_id("20200101000000"), "20200101000000");
        assert_eq!(revision_id("1.2.1"), "1x2x1");
        assert_eq!(revision_id("1_2"), "1x2");
        assert_eq!(revision_id("v1"), "v1");
        assert_eq!(revision_id(""), "0");
    }

    #[test]
    fn versions_order_numerically() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("1.9", "1.10"), Less);
        assert_eq!(compare_versions("0002", "2"), Equal);
        assert_eq!(compare_versions("1.0", "1"), Equal);
        assert_eq!(compare_versions("10", "9"), Greater);
    }

    #[test]
    fn transaction_control_is_found_outside_strings() {
        assert!(controls_transactions("BEGIN;\nCREATE TABLE t ();\nCOMMIT;"));
        assert!(!controls_transactions("SELECT 'BEGIN; COMMIT;';"));
        assert!(!controls_transactions(
            "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END;"
        ));
    }

    #[test]
    fn a_missing_down_becomes_irreversible() {
        let m = SourceMigration {
            version: "3".into(),
            name: "add x".into(),
            up: "CREATE TABLE x ();\n".into(),
            down: Some("-- nothing\n".into()),
            transaction: false,
            path: "3_add_x.up.sql".into(),
            tool_checksum: None,
            depends_on: Vec::new(),
        };
        let c = render(&m, "3", Some("2"), &[]);
        assert_eq!(
            c.text,
            "-- strata:message add x\n-- strata:revises 2\n-- strata:transaction off\n-- strata:irreversible imported without a down\n-- strata:imported-from 3_add_x.up.sql\n\n-- strata:up\nCREATE TABLE x ();\n\n-- strata:down\n"
        );
        assert_eq!(c.file_name, "3_add_x.sql");
    }
}
