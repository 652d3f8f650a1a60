//! `lint` (SPEC §8): migration safety for files and folders, the pending migrations, or all of
//! them; and the lint check `upgrade` runs before applying anything.

use crate::cli::{LintArgs, LintFormat};
use crate::context::{display_path, Connection, Project};
use crate::error::{db_err, CliError, EXIT_BAD_INPUT};
use crate::lint_input::{self, Inputs};
use crate::output::Printer;
use std::collections::BTreeMap;
use strata_core::Diagnostic;
use strata_engine::{DbError, StateTables};
use strata_files::{LintMode, MigrationFile, Migrations};
use strata_graph::{Direction, Step};
use strata_lint::{Finding, Options, ParseFailure, Report, Severity};

pub fn lint(project: &Project, args: &LintArgs, printer: &Printer) -> Result<(), CliError> {
    let format = match args.format {
        Some(format) => format,
        None if printer.json => LintFormat::Json,
        None if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") => LintFormat::Github,
        None => LintFormat::Human,
    };
    let mut settings = LintSettings::from_config(project)?;
    let tables = project.settings(false).tables;

    let (inputs, connection, what) = if !args.paths.is_empty() {
        let inputs = lint_input::read_paths(&args.paths);
        let connection = optional_connection(project, printer);
        (inputs, connection, None)
    } else {
        let migrations = project.migrations()?;
        // The rules are about PostgreSQL: its locks, its rewrites, its parser. A project on
        // SQLite has nothing for them to check (and SQLite's own syntax, such as its trigger
        // bodies, is not PostgreSQL's).
        if project.url_is_configured()
            && project.dialect(None).ok() == Some(strata_core::Dialect::Sqlite)
        {
            let url = project.url().unwrap_or_default();
            match format {
                LintFormat::Json => printer.result(&strata_lint::render::json(&[], &[])),
                LintFormat::Sarif => printer.result(&strata_lint::render::sarif_report(&[], &[])),
                LintFormat::Human | LintFormat::Github => {}
            }
            printer.notice(&format!(
                "nothing to lint: the rules check PostgreSQL locks and rewrites, and this project's database is SQLite ({url}); name files or folders to lint them as PostgreSQL migrations"
            ));
            return Ok(());
        }
        let order = migrations.graph.topo_order();
        if args.all {
            let files: Vec<&MigrationFile> =
                order.iter().filter_map(|id| migrations.get(id)).collect();
            let connection = optional_connection(project, printer);
            (lint_input::read_project(&files), connection, None)
        } else {
            // The pending migrations: the database says what is applied.
            project.url()?;
            let mut connection = project.open_existing().map_err(|e| match e {
                CliError::Database { error, .. } => CliError::Database {
                    context: "cannot tell which migrations are pending without the database \
                              (pass --all to lint every migration, or name files or folders)"
                        .to_owned(),
                    error,
                },
                other => other,
            })?;
            let heads = match connection.as_mut() {
                Some(conn) => conn
                    .db()
                    .read_heads(&tables)
                    .map_err(db_err("could not read the version table"))?,
                None => Vec::new(),
            };
            let steps = migrations
                .graph
                .plan_upgrade(&heads, "heads")
                .map_err(|e| CliError::invalid(e.to_string()))?;
            let files: Vec<&MigrationFile> = steps
                .iter()
                .filter_map(|s| migrations.get(&s.revision))
                .collect();
            let what = if files.is_empty() {
                Some(format!(
                    "nothing pending to lint; at {} (use --all to lint every migration)",
                    if heads.is_empty() {
                        "base".to_owned()
                    } else {
                        heads.join(", ")
                    }
                ))
            } else {
                None
            };
            (lint_input::read_project(&files), connection, what)
        }
    };

    if let Some(mut conn) = connection {
        settings
            .apply_database(&mut conn, &tables, true)
            .map_err(db_err("could not read what lint needs from the database"))?;
    }
    for skipped in &inputs.skipped {
        printer.notice(&format!("skipped {skipped}"));
    }
    let report = settings.lint(&inputs);
    let failures = failures(&report, &inputs.problems);
    let stdout_color = printer.colors(true);
    match format {
        LintFormat::Human => {
            if let Some(what) = &what {
                printer.line(what);
            } else {
                let texts = |file: &str| inputs.texts.get(file).cloned();
                let text = strata_lint::render::human_report(
                    &report.findings,
                    failures.len(),
                    &texts,
                    stdout_color,
                );
                printer.result(text.trim_end());
                printer.line(&format!(
                    "checked {} migration(s), {} statement(s)",
                    inputs.sources.len(),
                    report.statements
                ));
            }
        }
        LintFormat::Json => printer.result(&strata_lint::render::json(&report.findings, &failures)),
        LintFormat::Sarif => printer.result(&strata_lint::render::sarif_report(
            &report.findings,
            &failures,
        )),
        LintFormat::Github => {
            let text = strata_lint::render::github_report(&report.findings, &failures);
            if !text.is_empty() {
                printer.result(text.trim_end());
            }
        }
    }
    print_failures(printer, &report.failures, &inputs.problems);
    if !failures.is_empty() {
        return Err(CliError::Reported(EXIT_BAD_INPUT));
    }
    if report.errors() > 0 {
        return Err(CliError::Problems);
    }
    Ok(())
}

/// Lints the migrations an upgrade is about to run (the up steps of `steps`), under the
/// environment's `lint` mode: `enforce` blocks on error findings (exit 1, nothing applied),
/// `warn` (the default) prints them and goes on, `off` skips. The rules are PostgreSQL's: on
/// SQLite nothing is linted.
pub(crate) fn before_upgrade(
    project: &Project,
    migrations: &Migrations,
    steps: &[Step],
    connection: &mut Connection,
    printer: &Printer,
) -> Result<(), CliError> {
    let mode = project.lint_mode();
    if mode == LintMode::Off {
        return Ok(());
    }
    if !matches!(connection, Connection::Postgres(_)) {
        printer.verbose("lint: skipped (its rules are PostgreSQL's; this database is SQLite)");
        return Ok(());
    }
    let files: Vec<&MigrationFile> = steps
        .iter()
        .filter(|s| s.direction == Direction::Up)
        .filter_map(|s| migrations.get(&s.revision))
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    let mut settings = LintSettings::from_config(project)?;
    let tables = project.settings(false).tables;
    // What is about to run is not applied: no checksums to compare.
    settings
        .apply_database(connection, &tables, false)
        .map_err(db_err("could not read what lint needs from the database"))?;
    let inputs = lint_input::read_project(&files);
    let report = settings.lint(&inputs);
    let errors = report.errors();
    let blocked = mode == LintMode::Enforce && errors > 0;
    let shown: Vec<Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Info || printer.verbose)
        .cloned()
        .collect();
    let texts = |file: &str| inputs.texts.get(file).cloned();
    let env = &project.env_name;
    let warnings = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();

    if blocked {
        if printer.json {
            let failures = failures(&report, &inputs.problems);
            printer.result(&strata_lint::render::json(&report.findings, &failures));
        }
        eprint!(
            "{}",
            strata_core::mask_url(&strata_lint::render::human(
                &shown,
                &texts,
                printer.colors(false)
            ))
        );
        print_failures(printer, &report.failures, &inputs.problems);
        eprintln!(
            "{} lint found {errors} error(s) in the migration(s) about to run; nothing was applied (lint = \"enforce\" in [env.{env}])\n  hint: make the change safely (see each finding's help), or waive a finding with `-- strata:lint-ignore RULE reason` on the line before its statement",
            printer.red("error:"),
        );
        return Err(CliError::Problems);
    }
    let parse_failures = !report.failures.is_empty() || !inputs.problems.is_empty();
    if mode == LintMode::Enforce && parse_failures {
        print_failures(printer, &report.failures, &inputs.problems);
        eprintln!(
            "{} lint could not parse the migration(s) about to run; nothing was applied (lint = \"enforce\" in [env.{env}])",
            printer.red("error:")
        );
        return Err(CliError::Reported(EXIT_BAD_INPUT));
    }
    if !shown.is_empty() && !printer.quiet {
        printer.stderr(&strata_lint::render::human(
            &shown,
            &texts,
            printer.colors(false),
        ));
    }
    if parse_failures && !printer.quiet {
        print_failures(printer, &report.failures, &inputs.problems);
    }
    if errors + warnings > 0 || parse_failures {
        printer.notice(&format!(
            "lint: {errors} error(s), {warnings} warning(s) in the migration(s) about to run; going on (lint = \"{}\")",
            mode.as_str()
        ));
    }
    Ok(())
}

/// Lints a file `strata revision` just wrote; prints findings when there are any. Never fails
/// the command.
pub(crate) fn after_revision(
    project: &Project,
    path: &std::path::Path,
    printer: &Printer,
) -> Result<(), CliError> {
    if project.lint_mode() == LintMode::Off {
        return Ok(());
    }
    // The file is written: a bad `[lint]` table is for `strata lint` to report, not a failure here.
    let Ok(settings) = LintSettings::from_config(project) else {
        return Ok(());
    };
    let inputs = lint_input::read_paths(&[std::path::PathBuf::from(display_path(path))]);
    let report = settings.lint(&inputs);
    if !report.findings.is_empty() && !printer.quiet {
        let texts = |file: &str| inputs.texts.get(file).cloned();
        printer.stderr(&strata_lint::render::human(
            &report.findings,
            &texts,
            printer.colors(false),
        ));
    }
    Ok(())
}

/// Lint options from `[lint]` in strata.toml, and then from the database.
pub(crate) struct LintSettings {
    options: Options,
    /// `[lint] pg_version` was given: it wins over the server's version.
    pg_version_set: bool,
    /// Levels for the waiver checks (`invalid-waiver`, `unused-waiver`), applied after the run.
    waiver_levels: BTreeMap<String, Option<Severity>>,
}

const WAIVER_RULES: &[&str] = &["invalid-waiver", "unused-waiver"];

impl LintSettings {
    /// Reads `[lint]`: `pg_version`, `small_table_rows`, and `"rule-id" = "error" | "warning" |
    /// "info" | "off"`. Problems are reported at their strata.toml line (exit 2).
    pub(crate) fn from_config(project: &Project) -> Result<LintSettings, CliError> {
        let mut settings = LintSettings {
            options: Options {
                lock_timeout_configured: project.lock_timeout_configured(),
                ..Options::default()
            },
            pg_version_set: false,
            waiver_levels: BTreeMap::new(),
        };
        let Some(table) = &project.config.lint else {
            return Ok(settings);
        };
        let (file, lines) = match &project.config.path {
            Some(path) => (
                display_path(path),
                std::fs::read_to_string(path)
                    .map(|text| lint_key_lines(&text))
                    .unwrap_or_default(),
            ),
            None => ("strata.toml".to_owned(), BTreeMap::new()),
        };
        let mut problems = Vec::new();
        for (key, value) in table {
            let line = lines.get(key).copied().unwrap_or(0);
            let mut problem = |message: String, hint: &str| {
                problems.push(Diagnostic::new(&file, line, message).with_hint(hint));
            };
            match key.as_str() {
                "pg_version" => match pg_version(value) {
                    Some(version) => {
                        settings.options.pg_version = version;
                        settings.pg_version_set = true;
                    }
                    None => problem(
                        format!("`lint.pg_version` must be a PostgreSQL version, not {value}"),
                        "for example: pg_version = 15 (or the server_version_num form, 150000)",
                    ),
                },
                "small_table_rows" => match value {
                    toml::Value::Integer(n) if *n >= 0 => {
                        settings.options.small_table_rows = *n as f64
                    }
                    toml::Value::Float(n) if *n >= 0.0 => settings.options.small_table_rows = *n,
                    other => problem(
                        format!("`lint.small_table_rows` must be a number of rows, not {other}"),
                        "for example: small_table_rows = 10000",
                    ),
                },
                rule => {
                    let known =
                        strata_lint::rules::rule(rule).is_some() || WAIVER_RULES.contains(&rule);
                    if !known {
                        let mut hint = "keys of [lint]: pg_version, small_table_rows, and rule ids (docs/lint.md lists them)".to_owned();
                        if let Some(close) = closest_rule(rule) {
                            hint = format!("did you mean `{close}`? {hint}");
                        }
                        problem(format!("unknown rule `{rule}` in [lint]"), &hint);
                        continue;
                    }
                    let level = match value.as_str() {
                        Some("off") => Some(None),
                        Some(text) => Severity::parse(text).map(Some),
                        None => None,
                    };
                    match level {
                        Some(level) if WAIVER_RULES.contains(&rule) => {
                            settings.waiver_levels.insert(rule.to_owned(), level);
                        }
                        Some(level) => {
                            settings.options.levels.insert(rule.to_owned(), level);
                        }
                        None => problem(
                            format!("invalid level {value} for `{rule}` in [lint]"),
                            "use \"error\", \"warning\", \"info\" or \"off\"",
                        ),
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            problems.sort_by_key(|d| d.line);
            Err(CliError::Diagnostics(problems))
        }
    }

    /// What only the database knows: the server's version (unless `[lint] pg_version` says),
    /// estimated rows per table, and (with `checksums`) the checksums of applied revisions.
    pub(crate) fn apply_database(
        &mut self,
        connection: &mut Connection,
        tables: &StateTables,
        checksums: bool,
    ) -> Result<(), DbError> {
        if let Connection::Postgres(pg) = connection {
            if !self.pg_version_set {
                use strata_engine::Database;
                self.options.pg_version = pg.server_version()?;
            }
            self.options.table_rows = Some(table_rows(pg)?);
        }
        if !checksums {
            return Ok(());
        }
        let history = connection.db().read_history(tables)?;
        let mut applied: BTreeMap<String, String> = BTreeMap::new();
        for row in history {
            match row.kind.as_str() {
                "up" | "stamp" => {
                    if let Some(checksum) = row.checksum {
                        applied.insert(row.revision, checksum);
                    }
                }
                "down" => {
                    applied.remove(&row.revision);
                }
                _ => {}
            }
        }
        self.options.applied_checksums = applied;
        Ok(())
    }

    pub(crate) fn lint(&self, inputs: &Inputs) -> Report {
        let mut report = strata_lint::lint(&inputs.sources, &self.options);
        if !self.waiver_levels.is_empty() {
            report
                .findings
                .retain_mut(|f| match self.waiver_levels.get(f.rule) {
                    Some(None) => false,
                    Some(Some(level)) => {
                        f.severity = *level;
                        true
                    }
                    None => true,
                });
        }
        report
    }
}

/// Estimated rows of every table, as `schema.table`, and as bare `table` for the schemas on the
/// search path (the largest when a name is in several). Tables never analyzed (reltuples < 0)
/// are left out: their size is unknown, so they are not treated as small.
fn table_rows(pg: &mut strata_postgres::Postgres) -> Result<BTreeMap<String, f64>, DbError> {
    let rows = pg.simple_query_rows(
        "SELECT n.nspname, c.relname, c.reltuples::float8::text, \
                (n.nspname = ANY (current_schemas(false)))::text \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') \
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg\\_toast%'",
    )?;
    let mut out = BTreeMap::new();
    for row in rows {
        let [Some(schema), Some(table), Some(tuples), on_path] = &row[..] else {
            continue;
        };
        let Ok(tuples) = tuples.parse::<f64>() else {
            continue;
        };
        if tuples < 0.0 {
            continue;
        }
        out.insert(format!("{schema}.{table}"), tuples);
        if on_path.as_deref() == Some("true") {
            let bare = out.entry(table.clone()).or_insert(tuples);
            *bare = bare.max(tuples);
        }
    }
    Ok(out)
}

/// `13` -> 130000, `150004` as is, `"13"` or `"13.4"` -> 130000 / 130004.
fn pg_version(value: &toml::Value) -> Option<u32> {
    let from_number = |n: i64| -> Option<u32> {
        match n {
            9..=99 => Some(n as u32 * 10_000),
            90_000..=999_999 => Some(n as u32),
            _ => None,
        }
    };
    match value {
        toml::Value::Integer(n) => from_number(*n),
        toml::Value::String(s) => {
            let (major, minor) = s.trim().split_once('.').unwrap_or((s.trim(), "0"));
            let major: i64 = major.parse().ok()?;
            let minor: u32 = minor.parse().ok()?;
            if major >= 10_000 {
                return from_number(major);
            }
            from_number(major).map(|v| v + minor.min(9_999))
        }
        _ => None,
    }
}

/// The line of each key of the `[lint]` table in strata.toml's text.
fn lint_key_lines(text: &str) -> BTreeMap<String, usize> {
    #[derive(serde::Deserialize)]
    struct LintPart {
        #[serde(default)]
        lint: BTreeMap<toml::Spanned<String>, toml::Value>,
    }
    let Ok(part) = toml::from_str::<LintPart>(text) else {
        return BTreeMap::new();
    };
    part.lint
        .into_keys()
        .map(|key| {
            let line = text[..key.span().start.min(text.len())]
                .matches('\n')
                .count()
                + 1;
            (key.into_inner(), line)
        })
        .collect()
}

/// The rule id closest to a misspelt one, when it is close.
fn closest_rule(word: &str) -> Option<&'static str> {
    let distance = strata_core::edit_distance;
    let word = word.to_ascii_lowercase().replace('_', "-");
    strata_lint::RULES
        .iter()
        .map(|r| r.id)
        .chain(WAIVER_RULES.iter().copied())
        .map(|id| (distance(&word, id), id))
        .filter(|(d, id)| *d <= 3.min(id.len() / 3))
        .min()
        .map(|(_, id)| id)
}

/// Connects when a database is at hand; a failure is a notice, not an error (the lint goes on
/// without row estimates and applied checksums).
fn optional_connection(project: &Project, printer: &Printer) -> Option<Connection> {
    match project.open_existing() {
        Ok(connection) => connection,
        Err(e) => {
            let text = crate::render::error_text(&printer.plain(), &e);
            let text = text.strip_prefix("error: ").unwrap_or(&text);
            printer.notice(&format!(
                "linting without the database ({text}): no row estimates, no applied checksums"
            ));
            None
        }
    }
}

/// Every file that did not parse or could not be read, as `file:line: message`.
fn failures(report: &Report, problems: &[Diagnostic]) -> Vec<ParseFailure> {
    let mut out: Vec<ParseFailure> = problems
        .iter()
        .map(|d| ParseFailure {
            file: d.file.clone(),
            line: d.line,
            message: d.message.clone(),
        })
        .chain(report.failures.iter().cloned())
        .collect();
    out.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    out
}

/// The parser's failures and the unreadable or malformed files, on stderr, as `file:line: message`.
fn print_failures(printer: &Printer, failures: &[ParseFailure], problems: &[Diagnostic]) {
    let mut all: Vec<Diagnostic> = problems.to_vec();
    all.extend(
        failures
            .iter()
            .map(|f| Diagnostic::new(&f.file, f.line, &f.message)),
    );
    all.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    for d in &all {
        eprintln!(
            "{}",
            strata_core::mask_url(&crate::render::diagnostic_text(printer, d))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_versions() {
        assert_eq!(pg_version(&toml::Value::Integer(13)), Some(130000));
        assert_eq!(pg_version(&toml::Value::Integer(130000)), Some(130000));
        assert_eq!(pg_version(&toml::Value::Integer(150004)), Some(150004));
        assert_eq!(
            pg_version(&toml::Value::String("13.4".into())),
            Some(130004)
        );
        assert_eq!(pg_version(&toml::Value::Integer(1300)), None);
        assert_eq!(pg_version(&toml::Value::Boolean(true)), None);
    }

    #[test]
    fn misspelt_rules() {
        assert_eq!(
            closest_rule("non_concurrent_index"),
            Some("non-concurrent-index")
        );
        assert_eq!(closest_rule("drop-colum"), Some("drop-column"));
        assert_eq!(closest_rule("zzz"), None);
    }

    #[test]
    fn lint_lines() {
        let lines = lint_key_lines("a = 1\n[lint]\npg_version = 13\n\"drop-table\" = \"off\"\n");
        assert_eq!(lines["pg_version"], 3);
        assert_eq!(lines["drop-table"], 4);
    }
}
