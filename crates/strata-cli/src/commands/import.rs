//! `import`: another tool's migrations as strata files, and `--adopt`: what a database applied
//! with that tool, as strata's `stamp` rows. The reading and converting is `strata_import`'s.

use crate::cli::ImportArgs;
use crate::context::{display_path, Connection, Project};
use crate::error::{db_err, io_err, CliError};
use crate::output::Printer;
use std::path::{Path, PathBuf};
use strata_core::Diagnostic;
use strata_import::adopt::{self, Written};
use strata_import::{Format, Import};

#[path = "import_alembic.rs"]
mod alembic;

pub fn import(project: &Project, args: &ImportArgs, printer: &Printer) -> Result<(), CliError> {
    let format = Format::parse(&args.from).map_err(|message| {
        CliError::invalid_with_hint(
            message,
            "pass --from diesel, sqlx, golang-migrate, dbmate, goose, flyway, maragudk-migrate, sqitch, liquibase-sql or alembic",
        )
    })?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| project.config.root.join(format.default_dir()));
    let shown_dir = display_path(&dir);
    let imported = read(format, &dir, &shown_dir)?;
    for note in &imported.notes {
        printer.notice(&format!("{shown_dir}/{note}"));
    }
    let into = args
        .into
        .clone()
        .unwrap_or_else(|| project.migrations_dir());
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(&dir, &into) {
        return Err(CliError::invalid_with_hint(
            format!(
                "{shown_dir} is both the {} folder and where strata files would go",
                format.name()
            ),
            "pass --into another folder (and set migrations_dir in strata.toml to it), e.g. --into strata/migrations",
        ));
    }
    if args.adopt {
        adopt(project, args, format, &imported, &into, printer)
    } else {
        write(format, &imported, &into, args.dry_run, printer)
    }
}

/// Reads and converts the source folder; a problem is reported at its file, under the folder.
fn read(format: Format, dir: &Path, shown: &str) -> Result<Import, CliError> {
    if !dir.is_dir() {
        return Err(CliError::invalid_with_hint(
            format!("{shown}: no such folder"),
            format!(
                "pass the {} migrations folder with --dir DIR (its default is {})",
                format.name(),
                format.default_dir()
            ),
        ));
    }
    if format == Format::Alembic {
        let imported = alembic::read(dir, shown)?;
        return check_converted(imported, shown);
    }
    let files = strata_import::read_dir(dir).map_err(|e| {
        CliError::invalid_with_hint(
            format!("cannot read {shown}: {e}"),
            "migration files must be readable UTF-8",
        )
    })?;
    let imported = strata_import::convert(format, &files).map_err(|problems| {
        CliError::Diagnostics(
            problems
                .into_iter()
                .map(|d| Diagnostic {
                    file: format!("{shown}/{}", d.file),
                    ..d
                })
                .collect(),
        )
    })?;
    if imported.migrations.is_empty() {
        return Err(CliError::invalid_with_hint(
            format!("{shown}: no {} migrations found", format.name()),
            format!(
                "pass the folder that holds them with --dir DIR ({} layout: {})",
                format.name(),
                layout(format)
            ),
        ));
    }
    check_converted(imported, shown)
}

/// Every converted file must load as strata reads it.
fn check_converted(imported: Import, shown: &str) -> Result<Import, CliError> {
    let mut problems = Vec::new();
    for m in &imported.migrations {
        if let Err(d) = strata_files::parse_migration(&m.file_name, &m.file_name, &m.text) {
            problems.extend(d.into_iter().map(|d| Diagnostic {
                message: format!("{} (converted from {shown}/{})", d.message, m.source_path),
                ..d
            }));
        }
    }
    if !problems.is_empty() {
        return Err(CliError::Diagnostics(problems));
    }
    Ok(imported)
}

fn layout(format: Format) -> &'static str {
    match format {
        Format::Diesel => "VERSION_name/up.sql and down.sql",
        Format::Sqlx => "VERSION_name.sql, or VERSION_name.up.sql and .down.sql",
        Format::GolangMigrate => "VERSION_name.up.sql and VERSION_name.down.sql",
        Format::Dbmate => "VERSION_name.sql with -- migrate:up / -- migrate:down",
        Format::Goose => "VERSION_name.sql with -- +goose Up / -- +goose Down",
        Format::MaragudkMigrate => "NAME.up.sql and NAME.down.sql",
        Format::Sqitch => "sqitch.plan, deploy/NAME.sql, revert/NAME.sql",
        Format::LiquibaseSql => "*.sql starting with --liquibase formatted sql",
        Format::Alembic => "alembic.ini and its script_location's versions/",
        _ => "V1__name.sql, U1__name.sql",
    }
}

fn write(
    format: Format,
    imported: &Import,
    into: &Path,
    dry_run: bool,
    printer: &Printer,
) -> Result<(), CliError> {
    let shown_into = display_path(into);
    let mut conflicts = Vec::new();
    let mut to_write: Vec<(PathBuf, &strata_import::Converted)> = Vec::new();
    let mut unchanged = 0;
    for m in &imported.migrations {
        let path = into.join(&m.file_name);
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == m.text => unchanged += 1,
            Ok(_) => conflicts.push(
                Diagnostic::new(
                    display_path(&path),
                    0,
                    format!("exists with other content than the conversion of {}", m.source_path),
                )
                .with_hint("move it away (or import --into another folder); strata never overwrites a migration"),
            ),
            Err(_) => to_write.push((path, m)),
        }
    }
    if !conflicts.is_empty() {
        return Err(CliError::Diagnostics(conflicts));
    }
    let first = &imported.migrations[0].id;
    let last = &imported.migrations[imported.migrations.len() - 1].id;
    if printer.json {
        printer.json_value(&serde_json::json!({
            "from": format.name(),
            "into": shown_into,
            "dry_run": dry_run,
            "written": to_write.iter().map(|(p, _)| display_path(p)).collect::<Vec<_>>(),
            "unchanged": unchanged,
            "notes": imported.notes,
        }));
    }
    if dry_run {
        for (path, m) in &to_write {
            printer.line(&format!(
                "would write {} ({})",
                display_path(path),
                m.source_path
            ));
        }
        printer.line(&format!(
            "{} of {} migrations would be written to {shown_into} ({first} .. {last}); nothing written (--dry-run)",
            to_write.len(),
            imported.migrations.len()
        ));
        return Ok(());
    }
    if !to_write.is_empty() {
        std::fs::create_dir_all(into).map_err(io_err(format!("could not create {shown_into}")))?;
    }
    for (path, m) in &to_write {
        std::fs::write(path, &m.text)
            .map_err(io_err(format!("could not write {}", display_path(path))))?;
        printer.verbose(&format!("wrote {} ({})", display_path(path), m.source_path));
    }
    printer.line(&format!(
        "imported {} {} migrations into {shown_into} ({first} .. {last}): {} written, {unchanged} already there",
        imported.migrations.len(),
        format.name(),
        to_write.len(),
    ));
    printer.line(&format!(
        "next: `strata import --from {} --adopt` against each database {} has migrated",
        format.name(),
        format.name()
    ));
    Ok(())
}

fn adopt(
    project: &Project,
    args: &ImportArgs,
    format: Format,
    imported: &Import,
    into: &Path,
    printer: &Printer,
) -> Result<(), CliError> {
    let display_base = std::env::current_dir().unwrap_or_else(|_| project.config.root.clone());
    let migrations = strata_files::load(into, &display_base)?;
    let missing: Vec<&str> = imported
        .migrations
        .iter()
        .filter(|m| migrations.get(&m.id).is_none())
        .map(|m| m.source_path.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(CliError::invalid_with_hint(
            format!(
                "{} has no strata file for {} of the {} migrations (first: {})",
                display_path(into),
                missing.len(),
                format.name(),
                missing[0]
            ),
            format!(
                "convert them first: strata import --from {}{}",
                format.name(),
                args.into
                    .as_ref()
                    .map(|p| format!(" --into {}", display_path(p)))
                    .unwrap_or_default()
            ),
        ));
    }
    let table = args
        .table
        .clone()
        .unwrap_or_else(|| format.default_table().to_owned());
    let mut connection = project.open()?;
    let Connection::Postgres(pg) = &mut connection else {
        return Err(CliError::invalid_with_hint(
            "--adopt reads the source tool's table on PostgreSQL only",
            "pass a postgres:// URL with --url, or stamp a SQLite database with `strata stamp`",
        ));
    };
    let exists = pg
        .simple_query_rows(&adopt::exists_query(&table))
        .map_err(db_err("could not look for the source table"))?;
    if exists
        .first()
        .and_then(|r| r.first().cloned().flatten())
        .as_deref()
        != Some("true")
    {
        return Err(CliError::invalid_with_hint(
            format!("{} has no table {table}", pg_describe(pg)),
            format!(
                "check the URL, or name the table {} uses with --table SCHEMA.NAME",
                format.name()
            ),
        ));
    }
    let rows = pg
        .simple_query_rows(&adopt::source_query(format, &table))
        .map_err(db_err("could not read the source table"))?;
    let plan = adopt::plan(format, imported, &rows);
    if !plan.problems.is_empty() {
        for problem in &plan.problems {
            printer.stderr(&format!(
                "{} {}",
                printer.red("error:"),
                problem.describe(format)
            ));
        }
        if printer.json {
            printer.json_value(&serde_json::json!({
                "adopted": false,
                "problems": plan.problems.iter().map(|p| p.describe(format)).collect::<Vec<_>>(),
            }));
        }
        printer.stderr(&format!(
            "nothing adopted: {} problem(s) in {table}",
            plan.problems.len()
        ));
        return Err(CliError::Problems);
    }
    let settings = project.settings(false);
    let tables = settings.tables.clone();
    if plan.heads.is_empty() {
        printer.line(&format!(
            "{table} records no applied migration: nothing to adopt; `strata upgrade` applies them all"
        ));
        return Ok(());
    }
    let head = plan.heads.join(", ");
    let source = format!("{table} ({})", format.name());
    let sql = adopt::adopt_sql(&tables, imported, &plan, &source, &settings.client, |id| {
        migrations.get(id).map(|f| Written {
            checksum: f.checksum.as_str(),
            parents: &f.revises,
        })
    });
    let db = connection.db();
    if !args.dry_run {
        db.lock(&tables, None, &mut |holder| {
            printer.notice(&format!("waiting for the runner lock held by {holder}"))
        })
        .map_err(db_err("could not take the runner lock"))?;
    }
    // Under the runner lock: no strata run may start between the check and the write.
    let result = (|| {
        let heads = db
            .read_heads(&tables)
            .map_err(db_err("could not read strata's version table"))?;
        if !heads.is_empty() {
            let mut planned = plan.heads.clone();
            planned.sort();
            let mut current = heads.clone();
            current.sort();
            if current == planned {
                return Ok(false);
            }
            return Err(CliError::invalid_with_hint(
                format!(
                    "the database already has strata state (current: {}); adoption writes a fresh state only",
                    heads.join(", ")
                ),
                "`strata current` and `strata history` show it; `strata stamp` moves it by hand",
            ));
        }
        if !args.dry_run {
            db.execute(&sql)
                .map_err(db_err("could not write strata's tables"))?;
        }
        Ok(true)
    })();
    if !args.dry_run {
        let _ = db.unlock(&tables);
    }
    if !result? {
        printer.line(&format!(
            "already adopted: strata's version table names {head}"
        ));
        return Ok(());
    }
    if args.dry_run {
        printer.result(&sql);
        printer.line(&format!(
            "would stamp {} applied migrations; current would be {head}; nothing written (--dry-run)",
            plan.stamps.len()
        ));
        return Ok(());
    }
    if printer.json {
        printer.json_value(&serde_json::json!({
            "adopted": true,
            "stamped": plan.stamps.len(),
            "current": head,
            "source_table": table,
        }));
    }
    printer.line(&format!(
        "adopted {} applied {} migrations from {table}; current: {head} ({} left in place)",
        plan.stamps.len(),
        format.name(),
        table
    ));
    Ok(())
}

/// What adoption took a database's history from, as its `stamp` rows name it
/// (`adopted from TABLE (TOOL): …`): the tools' tables, left out of `inspect`, `diff` and `drift`
/// (which compare the schema the migrations make), and Sqitch's registry schema.
#[derive(Default)]
pub(crate) struct Adopted {
    pub tables: Vec<strata_core::QualifiedName>,
    /// Schemas that hold only a tool's tables (Sqitch's registry): left out when nothing else
    /// is in them.
    pub schemas: Vec<String>,
}

impl Adopted {
    pub fn drop_empty_schemas(&self, schema: &mut strata_schema::Schema) {
        let used = |s: &str| {
            let here = |q: &strata_core::QualifiedName| q.schema.as_deref() == Some(s);
            schema.tables.iter().any(|t| here(&t.name))
                || schema.views.iter().any(|v| here(&v.name))
                || schema.sequences.iter().any(|q| here(&q.name))
                || schema.functions.iter().any(|f| here(&f.name))
                || schema.enums.iter().any(|e| here(&e.name))
                || schema.domains.iter().any(|d| here(&d.name))
        };
        let drop: Vec<&String> = self.schemas.iter().filter(|s| !used(s)).collect();
        schema.schemas.retain(|n| !drop.contains(&&n.name));
    }
}

/// Reads [`Adopted`]; empty when there is no history table or it cannot be read.
pub(crate) fn adopted_tables(
    pg: &mut strata_postgres::Postgres,
    config: &strata_files::Config,
) -> Adopted {
    let mut adopted = Adopted::default();
    let history = strata_core::QualifiedName::parse(&config.history_table).to_string();
    let exists = pg.simple_query_rows(&adopt::exists_query(&config.history_table));
    if !matches!(exists.as_deref(), Ok([row]) if row.first().cloned().flatten().as_deref() == Some("true"))
    {
        return adopted;
    }
    let sql = format!(
        "SELECT DISTINCT substring(message FROM '^adopted from (.+?) \\([a-z-]+\\): version '), \
         substring(message FROM '^adopted from .+? \\(([a-z-]+)\\): version ') FROM {history} \
         WHERE kind = 'stamp' AND message LIKE 'adopted from %'"
    );
    for row in pg.simple_query_rows(&sql).unwrap_or_default() {
        let mut cells = row.into_iter();
        let (Some(Some(table)), Some(tool)) = (cells.next(), cells.next()) else {
            continue;
        };
        let table = strata_core::QualifiedName::parse(&table);
        if tool.as_deref() == Some("sqitch") {
            // The whole registry: Sqitch keeps these beside `changes` in its schema.
            let registry = table.schema.clone();
            for name in [
                "projects",
                "releases",
                "changes",
                "tags",
                "dependencies",
                "events",
            ] {
                adopted
                    .tables
                    .push(strata_core::QualifiedName::new(registry.as_deref(), name));
            }
            adopted.schemas.extend(registry);
        } else if tool.as_deref() == Some("liquibase-sql") {
            // Liquibase's lock table sits beside its changelog table.
            let lock =
                strata_core::QualifiedName::new(table.schema.as_deref(), "databasechangeloglock");
            adopted.tables.extend([table, lock]);
        } else {
            adopted.tables.push(table);
        }
    }
    adopted
}

fn pg_describe(pg: &strata_postgres::Postgres) -> String {
    use strata_engine::Database;
    pg.describe()
}
