//! `advise`: schema design advice from a live PostgreSQL database. The gathering is
//! `advise_gather` (read-only, bounded); the checks are `strata_advise` (pure); this module reads
//! the flags, renders the findings and, with `--fix`, writes the migrations that apply them.

use super::advise_gather::{gather, Scope};
use crate::context::{display_path, Connection, Project};
use crate::error::{io_err, CliError, EXIT_PROBLEMS};
use crate::output::Printer;
use std::io::IsTerminal;
use std::time::Duration;
use strata_advise::{Finding, Options, Severity};
use strata_files::NewMigration;

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AdviseFormat {
    /// One block per finding: object, evidence, help with SQL (default)
    Human,
    /// A findings list of rule, severity, object, evidence and help (also: --json)
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards
    Sarif,
    /// One self-contained HTML page: the schema diagram, findings by severity, sizes
    Html,
}

#[derive(clap::Args, Debug)]
pub struct AdviseArgs {
    /// Only these schemas (repeatable; default: every schema but the system's)
    #[arg(long, value_name = "S")]
    pub schema: Vec<String>,
    /// Only these tables, as TABLE or SCHEMA.TABLE (repeatable)
    #[arg(long, value_name = "T")]
    pub table: Vec<String>,
    /// Rows to sample per table (TABLESAMPLE SYSTEM on larger tables)
    #[arg(long, value_name = "ROWS", default_value_t = 2000, value_parser = parse_rows)]
    pub sample: usize,
    /// Time budget of the whole run; tables not sampled by then get catalog checks only
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub budget: Duration,
    /// Sampled rows a table needs before the data-based checks (missing NOT NULL, CHECK, functional
    /// dependencies) judge it
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub min_rows: usize,
    /// Report unused indexes only once the index statistics are this old
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    pub min_stats_age: Duration,
    /// Output format
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<AdviseFormat>,
    /// Write the fixes that are migrations into the migrations folder, one file each
    #[arg(long)]
    pub fix: bool,
}

fn parse_rows(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("sample at least 1 row per table".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of rows (e.g. 2000)")),
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    strata_files::parse_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration (e.g. 500ms, 60s, 2m, 7d)"))
}

pub fn advise(project: &Project, args: &AdviseArgs, printer: &Printer) -> Result<(), CliError> {
    let format = match args.format {
        Some(f) => f,
        None if printer.json => AdviseFormat::Json,
        None => AdviseFormat::Human,
    };
    let tables = parse_tables(&args.table)?;
    let mut pg = open_postgres(project, "advise")?;
    let scope = Scope {
        schemas: args.schema.clone(),
        tables: tables.clone(),
        sample_rows: args.sample,
        budget: args.budget,
        progress: !printer.quiet && std::io::stderr().is_terminal(),
    };
    let gathered = gather(&mut pg, &scope)?;
    let snapshot = &gathered.snapshot;
    check_scope(snapshot, &args.schema, &tables)?;
    for t in &gathered.timings {
        printer.verbose(&format!(
            "sampled {} rows of {} in {} ms",
            t.rows, t.table, t.millis
        ));
    }
    if !gathered.unsampled.is_empty() {
        printer.notice(&format!(
            "the time budget ({}) ran out before {} of {} tables were sampled ({}{}); they got the catalog checks only. Raise --budget or lower --sample.",
            humantime(args.budget),
            gathered.unsampled.len(),
            snapshot.tables.len(),
            gathered.unsampled.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            if gathered.unsampled.len() > 5 { ", ..." } else { "" }
        ));
    }
    printer.verbose(&format!(
        "gathered {} tables in {} ms",
        snapshot.tables.len(),
        gathered.elapsed.as_millis()
    ));
    let options = Options {
        min_rows: args.min_rows,
        min_stats_age_secs: args.min_stats_age.as_secs(),
    };
    let checking = std::time::Instant::now();
    let findings = strata_advise::advise(snapshot, &options);
    printer.verbose(&format!(
        "{} findings from {} checks in {} ms",
        findings.len(),
        strata_advise::CHECKS.len(),
        checking.elapsed().as_millis()
    ));
    let text = match format {
        AdviseFormat::Human => strata_advise::render::human(&findings, printer.colors(true)),
        AdviseFormat::Json => strata_advise::render::json(&findings),
        AdviseFormat::Sarif => strata_advise::render::sarif(&findings),
        AdviseFormat::Html => {
            let marks = strata_advise::erd::marks(&findings);
            let (svg, _) = crate::diagram::svg(&strata_advise::erd::dot(snapshot, &marks))?;
            super::advise_html::report(snapshot, &findings, &svg)
        }
    };
    printer.result(text.trim_end());
    if args.fix {
        write_fixes(project, &findings, printer)?;
    }
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return Err(CliError::Reported(EXIT_PROBLEMS));
    }
    Ok(())
}

fn humantime(d: Duration) -> String {
    if !d.as_millis().is_multiple_of(1000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs())
    }
}

/// One migration per finding that has a fix, chained after the current head.
fn write_fixes(project: &Project, findings: &[Finding], printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let mut parent = super::revision::single_head(
        &migrations,
        "join them first with `strata merge heads -m MSG`, then run advise --fix again",
    )?;
    let dir = project.migrations_dir();
    std::fs::create_dir_all(&dir).map_err(io_err(format!("cannot create {}", dir.display())))?;
    let mut taken: Vec<String> = Vec::new();
    let mut written = Vec::new();
    for finding in findings {
        for fix in &finding.fix {
            let id = super::revision::new_id(&migrations, None, &taken)?;
            taken.push(id.clone());
            let new = NewMigration {
                id: id.clone(),
                slug: fix.slug.clone(),
                message: format!("advise {}: {}", finding.rule, finding.object),
                revises: std::mem::replace(&mut parent, vec![id.clone()]),
                labels: Vec::new(),
                depends_on: Vec::new(),
                irreversible: None,
                destructive_downgrade: None,
                impact: None,
                up: with_lock_timeout(fix, &fix.up),
                down: with_lock_timeout(fix, &fix.down),
            };
            let path = super::revision::write_migration(project, &new)?;
            written.push(display_path(&path));
        }
    }
    if written.is_empty() {
        printer.notice("--fix: no finding has a fix that is a migration; nothing written");
    } else {
        printer.notice(&format!(
            "--fix wrote {} migration(s); review them, then `strata lint` and `strata upgrade`:\n  {}",
            written.len(),
            written.join("\n  ")
        ));
    }
    Ok(())
}

/// A fix that runs in a transaction waits at most five seconds for its locks, so a busy table makes
/// it fail (and be retried) rather than stall the traffic queued behind it.
fn with_lock_timeout(fix: &strata_advise::Fix, sql: &str) -> String {
    if fix.transaction {
        format!("SET LOCAL lock_timeout = '5s';\n{sql}\n")
    } else {
        format!("{sql}\n")
    }
}

/// `--table` values as (schema, table); schema `None` for a bare name.
pub(super) fn parse_tables(args: &[String]) -> Result<Vec<(Option<String>, String)>, CliError> {
    let mut tables = Vec::new();
    for t in args {
        match t.split_once('.') {
            Some((s, n)) if !s.is_empty() && !n.is_empty() => {
                tables.push((Some(s.to_owned()), n.to_owned()))
            }
            None if !t.is_empty() => tables.push((None, t.clone())),
            _ => {
                return Err(CliError::invalid_with_hint(
                    format!("--table `{t}` is not a table name"),
                    "write TABLE or SCHEMA.TABLE, e.g. --table orders or --table billing.invoices",
                ))
            }
        }
    }
    Ok(tables)
}

pub(super) fn open_postgres(
    project: &Project,
    command: &str,
) -> Result<strata_postgres::Postgres, CliError> {
    match project.open_read_only()? {
        Connection::Postgres(pg) => Ok(pg),
        _ => Err(CliError::invalid_with_hint(
            format!("{command} reads PostgreSQL databases only; this URL is SQLite"),
            "pass a postgres:// URL with --url (or DATABASE_URL)",
        )),
    }
}

/// A schema or table asked for by name that is not there is a typo, not a clean bill.
pub(super) fn check_scope(
    snapshot: &strata_advise::Snapshot,
    schemas: &[String],
    tables: &[(Option<String>, String)],
) -> Result<(), CliError> {
    for schema in schemas {
        if !snapshot.tables.iter().any(|t| &t.schema == schema) {
            return Err(CliError::invalid_with_hint(
                format!("--schema {schema}: no table in a schema of that name"),
                "check the name (schemas are case-sensitive); `strata inspect` lists the schema",
            ));
        }
    }
    for (schema, name) in tables {
        let found = snapshot
            .tables
            .iter()
            .any(|t| &t.name == name && schema.as_ref().is_none_or(|s| &t.schema == s));
        if !found {
            return Err(CliError::invalid_with_hint(
                format!(
                    "--table {}{name}: no such table{}",
                    schema.as_ref().map(|s| format!("{s}.")).unwrap_or_default(),
                    if schemas.is_empty() { String::new() } else { " in the schemas given".into() }
                ),
                "check the name (table names are case-sensitive); `strata inspect` lists the schema",
            ));
        }
    }
    Ok(())
}
