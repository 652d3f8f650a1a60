//! `lint`: migration safety for files and folders, the pending migrations, or all of
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
    if args.calibrate {
        return calibrate(project, printer);
    }

    let (inputs, connection, what) = if !args.paths.is_empty() {
        let inputs = lint_input::read_paths(&args.paths);
        let connection = optional_connection(project, printer);
        (inputs, connection, None)
    } else if args.all && project.config.path.is_none() {
        // No strata.toml: another tool's project (diesel, sqlx, golang-migrate, goose, dbmate…).
        // Its migrations folder is read by layout, as a folder named on the command line is.
        let dir =
            diesel_migrations_dir(&project.config.root).unwrap_or_else(|| project.migrations_dir());
        let shown = std::path::PathBuf::from(display_path(&dir));
        let inputs = lint_input::read_paths(&[shown]);
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

    let mut data_summary = None;
    if let Some(mut conn) = connection {
        settings
            .apply_database(&mut conn, &tables, true)
            .map_err(db_err("could not read what lint needs from the database"))?;
        // What the rows say: only here (and never in `upgrade`, which must not scan tables).
        if let (Connection::Postgres(pg), Some(budget)) = (&mut conn, settings.data_checks) {
            let throughput = crate::lint_data::cached(pg);
            let (answers, summary) = crate::lint_data::run(
                pg,
                &inputs.sources,
                &settings.options,
                budget,
                throughput.as_ref(),
            );
            settings.options.data = answers;
            data_summary = Some(summary);
        }
    }
    for skipped in &inputs.skipped {
        printer.notice(&format!("skipped {skipped}"));
    }
    if let Some(notice) = data_summary.as_ref().and_then(|s| s.notice()) {
        printer.notice(&notice);
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

/// `strata lint --calibrate`: measures the server's throughput and caches it.
fn calibrate(project: &Project, printer: &Printer) -> Result<(), CliError> {
    project.url()?;
    let Connection::Postgres(mut pg) = project.open()? else {
        return Err(CliError::invalid(
            "--calibrate measures a PostgreSQL server; this database is SQLite",
        ));
    };
    let (t, path) = crate::lint_data::calibrate(&mut pg)
        .map_err(db_err("could not measure the server's throughput"))?;
    let mb = |b: f64| b / 1e6;
    if printer.json {
        printer.json_value(&serde_json::json!({
            "server": t.server,
            "scan_bytes_per_s": t.scan_bytes_per_s,
            "rewrite_bytes_per_s": t.rewrite_bytes_per_s,
            "build_bytes_per_s": t.build_bytes_per_s,
            "cache": path.as_ref().map(|p| p.display().to_string()),
        }));
    } else {
        printer.line(&format!(
            "measured on this server: scan {:.0} MB/s, rewrite {:.0} MB/s, index build {:.0} MB/s",
            mb(t.scan_bytes_per_s),
            mb(t.rewrite_bytes_per_s),
            mb(t.build_bytes_per_s)
        ));
        if let Some(path) = &path {
            printer.line(&format!("cached in {}", path.display()));
        }
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
    /// `[lint] data_checks`: the time budget of the data-aware checks (`None`: off).
    data_checks: Option<std::time::Duration>,
}

/// The default `[lint] data_checks`.
const DATA_CHECKS_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

const WAIVER_RULES: &[&str] = &["invalid-waiver", "unused-waiver"];

impl LintSettings {
    /// Reads `[lint]`: `pg_version`, `small_table_rows`, `"rule-id" = "error" | "warning" |
    /// "info" | "off" | "on"`, and the patterns of `[lint.naming]`. Problems are reported at
    /// their strata.toml line (exit 2).
    pub(crate) fn from_config(project: &Project) -> Result<LintSettings, CliError> {
        let mut settings = LintSettings {
            options: Options {
                lock_timeout_configured: project.lock_timeout_configured(),
                ..Options::default()
            },
            pg_version_set: false,
            waiver_levels: BTreeMap::new(),
            data_checks: Some(DATA_CHECKS_BUDGET),
        };
        // `[lint.naming]`, validated with the rest of strata.toml: patterns for
        // `naming-convention`, which they turn on unless `[lint]` gives it a level.
        for (kind, pattern) in &project.config.lint_naming {
            if let Ok(regex) = regex::Regex::new(&pattern.value) {
                settings.options.naming.set(kind, regex);
            }
        }
        if !settings.options.naming.is_empty() {
            settings
                .options
                .levels
                .insert("naming-convention".to_owned(), Some(Severity::Warning));
        }
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
                "data_checks" => match value.as_str() {
                    Some("off") => settings.data_checks = None,
                    Some(text) if strata_files::parse_duration(text).is_some() => {
                        settings.data_checks = strata_files::parse_duration(text)
                    }
                    _ => problem(
                        format!("`lint.data_checks` must be a duration or \"off\", not {value}"),
                        "for example: data_checks = \"5s\" (the time the data-aware checks may take), or \"off\"",
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
                // Read and checked with strata.toml (`Config::lint_naming`).
                "naming" => {}
                rule => {
                    let known =
                        strata_lint::rules::rule(rule).is_some() || WAIVER_RULES.contains(&rule);
                    if !known {
                        let mut hint = "keys of [lint]: pg_version, small_table_rows, data_checks, naming, and rule ids (docs/lint.md lists them)".to_owned();
                        if let Some(close) = closest_rule(rule) {
                            hint = format!("did you mean `{close}`? {hint}");
                        }
                        problem(format!("unknown rule `{rule}` in [lint]"), &hint);
                        continue;
                    }
                    let level = match value.as_str() {
                        Some("off") => Some(None),
                        Some("on") => Some(Some(
                            strata_lint::rules::rule(rule).map_or(Severity::Warning, |r| r.default),
                        )),
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
                            "use \"error\", \"warning\", \"info\", \"off\" or \"on\" (the rule's usual level)",
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
            self.options.existing = Some(existing(pg)?);
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

    /// Runs the data-aware checks (within `[lint] data_checks`), as `strata lint` does with a
    /// database: their findings include the estimated duration of statements that scan or
    /// rewrite (`strata preflight` reports them).
    pub(crate) fn answer_data(&mut self, pg: &mut strata_postgres::Postgres, inputs: &Inputs) {
        if let Some(budget) = self.data_checks {
            let throughput = crate::lint_data::cached(pg);
            let (answers, _) = crate::lint_data::run(
                pg,
                &inputs.sources,
                &self.options,
                budget,
                throughput.as_ref(),
            );
            self.options.data = answers;
        }
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

/// diesel's `[migrations_directory] dir` in `diesel.toml`, relative to the project, when set.
fn diesel_migrations_dir(root: &std::path::Path) -> Option<std::path::PathBuf> {
    let text = std::fs::read_to_string(root.join("diesel.toml")).ok()?;
    let table = text.parse::<toml::Table>().ok()?;
    let dir = table.get("migrations_directory")?.get("dir")?.as_str()?;
    Some(root.join(dir))
}

/// The relations, columns and constraints of the database, by `schema.name` and, for the schemas
/// on the search path, bare `name`: what a pending migration's objects are compared with (what
/// the database lacks is new).
fn existing(pg: &mut strata_postgres::Postgres) -> Result<strata_lint::Existing, DbError> {
    let user_schemas = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
                        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";
    let on_path = "(n.nspname = ANY (current_schemas(false)))::text";
    let mut out = strata_lint::Existing::default();
    let names = |schema: &str, name: &str, on_path: bool| -> Vec<String> {
        let mut v = vec![format!("{schema}.{name}")];
        if on_path {
            v.push(name.to_owned());
        }
        v
    };
    for row in pg.simple_query_rows(&format!(
        "SELECT n.nspname, c.relname, {on_path} \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'i', 'I', 'S', 'f') AND {user_schemas}"
    ))? {
        if let [Some(schema), Some(name), path] = &row[..] {
            out.relations
                .extend(names(schema, name, path.as_deref() == Some("true")));
        }
    }
    for row in pg.simple_query_rows(&format!(
        "SELECT n.nspname, c.relname, a.attname, {on_path} \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped \
           AND {user_schemas}"
    ))? {
        if let [Some(schema), Some(table), Some(column), path] = &row[..] {
            for t in names(schema, table, path.as_deref() == Some("true")) {
                out.columns.insert((t, column.clone()));
            }
        }
    }
    for row in pg.simple_query_rows(&format!(
        "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE {user_schemas}"
    ))? {
        if let [Some(schema)] = &row[..] {
            out.schemas.insert(schema.clone());
        }
    }
    for row in pg.simple_query_rows(&format!(
        "SELECT n.nspname, t.typname, {on_path} \
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typtype IN ('d', 'e', 'c', 'r') \
           AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c') \
           AND {user_schemas}"
    ))? {
        if let [Some(schema), Some(name), path] = &row[..] {
            out.types
                .extend(names(schema, name, path.as_deref() == Some("true")));
        }
    }
    for row in pg.simple_query_rows(&format!(
        "SELECT n.nspname, c.relname, k.conname, {on_path} \
         FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE {user_schemas}"
    ))? {
        if let [Some(schema), Some(table), Some(name), path] = &row[..] {
            for t in names(schema, table, path.as_deref() == Some("true")) {
                out.constraints.insert((t, name.clone()));
            }
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
        .chain(strata_lint::data::RULES)
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
            let text = crate::render::error_message(&e);
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
