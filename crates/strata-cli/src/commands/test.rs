//! `strata test`: the migration test suite for CI. The checks that need no database
//! (single-head, checksums, lint) run here; the others run in a scratch database through
//! `crate::suite`.

use crate::cli::{Global, TestArgs, TestCheck, TestFormat};
use crate::context::{display_path, Project};
use crate::desired::{Side, Workspace};
use crate::error::{CliError, EXIT_PROBLEMS};
use crate::output::Printer;
use crate::suite::report::{self, Case, Suite};
use crate::suite::{self, Run};
use std::collections::BTreeSet;
use std::time::Instant;
use strata_engine::migrator::Silent;
use strata_engine::verify::{verify, Mismatch};
use strata_engine::{HistoryRow, Migrator};
use strata_files::{LintMode, MigrationFile, Migrations};
use strata_graph::Graph;

const ALL: [TestCheck; 7] = [
    TestCheck::SingleHead,
    TestCheck::Stairway,
    TestCheck::Data,
    TestCheck::ModelMatch,
    TestCheck::Checksums,
    TestCheck::Lint,
    TestCheck::Online,
];

pub fn test(
    project: &Project,
    global: &Global,
    args: &TestArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let started = Instant::now();
    let format = match args.format {
        Some(f) => f,
        None if printer.json => TestFormat::Json,
        None => TestFormat::Human,
    };
    let checks: BTreeSet<TestCheck> = if args.only.is_empty() {
        ALL.into_iter().collect()
    } else {
        args.only.iter().copied().collect()
    };
    let migrations = project.migrations()?;
    let (revisions, start) = range(&migrations, args.range.as_deref())?;
    let manifest = match &args.manifest {
        Some(path) => Some(read_manifest(path)?),
        None => None,
    };
    if checks.contains(&TestCheck::Checksums) && manifest.is_none() && !args.only.is_empty() {
        return Err(CliError::invalid_with_hint(
            "the checksums check needs the deployed history",
            "pass --manifest FILE, the output of `strata log --json` run against production",
        ));
    }

    let mut suites = Vec::new();
    if checks.contains(&TestCheck::SingleHead) {
        suites.push(single_head(&migrations.graph));
    }
    if checks.contains(&TestCheck::Checksums) {
        suites.push(match &manifest {
            Some((name, rows)) => checksums(&migrations, name, rows),
            None => Suite::skipped(
                "checksums",
                "no --manifest given: pass the JSON of `strata log --json` from production",
            ),
        });
    }
    if checks.contains(&TestCheck::Lint) {
        suites.push(lint(project, &migrations, &revisions)?);
    }

    let needs_db = [
        TestCheck::Stairway,
        TestCheck::Data,
        TestCheck::ModelMatch,
        TestCheck::Online,
    ]
    .iter()
    .any(|c| checks.contains(c));
    if needs_db {
        let ws = Workspace::new(project, &[], printer)?;
        let (scratch, mut conn) = suite::open_scratch(project, global.url.as_deref(), &ws)?;
        printer.verbose(&format!("scratch database: {}", scratch.describe()));
        let result = database_checks(
            project,
            &migrations,
            &checks,
            args,
            format,
            &ws,
            &scratch,
            &mut conn,
            revisions,
            start,
            printer,
        );
        let finished = scratch.finish(project, conn);
        suites.extend(result?);
        finished?;
    }
    suites.sort_by_key(|s| ALL.iter().position(|c| check_name(*c) == s.check));

    let ok = suites.iter().all(Suite::passed);
    match format {
        TestFormat::Junit => printer.result(report::junit(&suites, started.elapsed()).trim_end()),
        TestFormat::Json => printer.json_value(&serde_json::json!({
            "ok": ok,
            "checks": suites,
        })),
        TestFormat::Human => human(&suites, printer),
    }
    if ok {
        Ok(())
    } else {
        Err(CliError::Reported(EXIT_PROBLEMS))
    }
}

fn check_name(check: TestCheck) -> &'static str {
    match check {
        TestCheck::SingleHead => "single-head",
        TestCheck::Stairway => "stairway",
        TestCheck::Data => "data",
        TestCheck::ModelMatch => "model-match",
        TestCheck::Checksums => "checksums",
        TestCheck::Lint => "lint",
        TestCheck::Online => "online",
    }
}

/// The revisions of `RANGE` in graph order, and the revision to apply untested first.
fn range(
    migrations: &Migrations,
    text: Option<&str>,
) -> Result<(Vec<String>, Option<String>), CliError> {
    let graph = &migrations.graph;
    let (from, to) = match text {
        None => (None, None),
        Some(t) => match t.split_once(':') {
            Some((f, to)) => (Some(f), Some(to)),
            None => (None, Some(t)),
        },
    };
    let resolve = |t: &str| -> Result<Option<String>, CliError> {
        match t {
            "" | "base" => Ok(None),
            "head" | "heads" => Ok(Some("heads".into())),
            _ => graph.resolve(t).map(|id| Some(id.to_owned())).map_err(|e| {
                CliError::invalid_with_hint(
                    format!("invalid range `{}`: {e}", text.unwrap_or_default()),
                    "write TO or FROM:TO with revision ids (or unique prefixes), base and head: e.g. 20261120:head",
                )
            }),
        }
    };
    let upto: Option<BTreeSet<String>> = match to.map(resolve).transpose()?.flatten() {
        None if to.is_some_and(|t| t == "base" || t.is_empty())
            && text.is_some_and(|t| !t.ends_with(':')) =>
        {
            Some(BTreeSet::new())
        }
        Some(id) if id != "heads" => {
            let mut set = graph.ancestors(&id);
            set.insert(id);
            Some(set)
        }
        _ => None,
    };
    let start = from.map(resolve).transpose()?.flatten();
    if start.as_deref() == Some("heads") {
        return Err(CliError::invalid_with_hint(
            "a range cannot start at head: nothing would be left to test",
            "write FROM:TO with FROM below TO, e.g. 20261120:head",
        ));
    }
    let below: BTreeSet<String> = match &start {
        Some(id) => {
            let mut set = graph.ancestors(id);
            set.insert(id.clone());
            set
        }
        None => BTreeSet::new(),
    };
    let revisions: Vec<String> = graph
        .topo_order()
        .into_iter()
        .filter(|r| upto.as_ref().is_none_or(|u| u.contains(*r)) && !below.contains(*r))
        .map(str::to_owned)
        .collect();
    Ok((revisions, start))
}

fn single_head(graph: &Graph) -> Suite {
    let t0 = Instant::now();
    let mut suite = Suite::new("single-head");
    let mut case = Case::new("single-head");
    // Heads on the same branch label (or on none) should be merged.
    let mut by_label: std::collections::BTreeMap<Vec<String>, Vec<String>> = Default::default();
    for head in graph.heads() {
        let mut labels: Vec<String> = graph
            .ancestors(head)
            .into_iter()
            .chain([head.to_owned()])
            .filter_map(|id| graph.node(&id).map(|n| n.labels.clone()))
            .flatten()
            .collect();
        labels.sort();
        labels.dedup();
        by_label.entry(labels).or_default().push(head.to_owned());
    }
    for (labels, heads) in by_label {
        if heads.len() > 1 {
            let on = if labels.is_empty() {
                "without a branch label".to_owned()
            } else {
                format!("on branch {}", labels.join(", "))
            };
            case.failures.push(format!(
                "{} heads {on}: {}; merge them with `strata merge {} -m \"merge\"`",
                heads.len(),
                heads.join(", "),
                heads.join(" ")
            ));
        }
    }
    case.time = t0.elapsed();
    suite.time = case.time;
    suite.cases.push(case);
    suite
}

/// The events of a `strata log --json` file, and the name to report it under.
fn read_manifest(path: &std::path::Path) -> Result<(String, Vec<HistoryRow>), CliError> {
    let shown = display_path(path);
    let bad = |what: String| {
        CliError::from(strata_core::Diagnostic::new(&shown, 0, what).with_hint(
            "write it with `strata log --json > deployed.json` against the deployed database",
        ))
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read the manifest: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CliError::from(
            strata_core::Diagnostic::new(
                &shown,
                e.line(),
                format!("the manifest is not JSON: {e}"),
            )
            .with_hint(
                "write it with `strata log --json > deployed.json` against the deployed database",
            ),
        )
    })?;
    let Some(events) = value.get("events").and_then(|e| e.as_array()) else {
        return Err(bad(
            "the manifest has no \"events\" list (the shape of `strata log --json`)".into(),
        ));
    };
    let text_of =
        |e: &serde_json::Value, k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let mut rows = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let (Some(revision), Some(kind)) = (text_of(e, "revision"), text_of(e, "kind")) else {
            return Err(bad(format!(
                "event {} has no \"revision\" or \"kind\"",
                i + 1
            )));
        };
        rows.push(HistoryRow {
            id: e.get("id").and_then(|v| v.as_i64()).unwrap_or(i as i64 + 1),
            revision,
            parents: String::new(),
            kind,
            message: text_of(e, "message"),
            checksum: text_of(e, "checksum"),
            applied_at: text_of(e, "applied_at").unwrap_or_default(),
            applied_by: text_of(e, "applied_by").unwrap_or_default(),
            execution_ms: None,
            strata_version: String::new(),
            error: None,
        });
    }
    Ok((shown, rows))
}

fn checksums(migrations: &Migrations, manifest: &str, rows: &[HistoryRow]) -> Suite {
    let t0 = Instant::now();
    let mut suite = Suite::new("checksums");
    let mut case = Case::new(format!("checksums against {manifest}"));
    // The deployed heads: the revisions the events leave applied.
    let mut applied: BTreeSet<String> = BTreeSet::new();
    for row in rows {
        match row.kind.as_str() {
            "up" | "stamp" => {
                applied.insert(row.revision.clone());
            }
            "down" => {
                applied.remove(&row.revision);
            }
            _ => {}
        }
    }
    let (known, unknown): (BTreeSet<String>, BTreeSet<String>) = applied
        .into_iter()
        .partition(|r| migrations.get(r).is_some());
    let mut heads = migrations.graph.heads_of(&known);
    heads.extend(unknown);
    let result = verify(migrations, &heads, rows);
    for m in &result.mismatches {
        case.failures.push(match m {
            Mismatch::Changed {
                revision,
                file,
                applied_at,
                ..
            } => format!(
                "{file} ({revision}) was edited after it was deployed ({applied_at}): restore it and put the change in a new migration"
            ),
            Mismatch::Missing { revision } => format!(
                "revision {revision} is deployed but has no migration file: restore it from version control"
            ),
            other => format!("revision {} does not match its file", other.revision()),
        });
    }
    case.notes
        .push(format!("{} deployed revision(s) checked", result.verified));
    case.time = t0.elapsed();
    suite.time = case.time;
    suite.cases.push(case);
    suite
}

fn lint(
    project: &Project,
    migrations: &Migrations,
    revisions: &[String],
) -> Result<Suite, CliError> {
    let t0 = Instant::now();
    let mode = project.lint_mode();
    if mode == LintMode::Off {
        return Ok(Suite::skipped("lint", "lint = \"off\" in this environment"));
    }
    if project.url_is_configured()
        && project.dialect(None).ok() == Some(strata_core::Dialect::Sqlite)
    {
        return Ok(Suite::skipped(
            "lint",
            "the lint rules are PostgreSQL's; this project's database is SQLite",
        ));
    }
    let files: Vec<&MigrationFile> = revisions
        .iter()
        .filter_map(|r| migrations.get(r))
        .filter(|f| !f.online)
        .collect();
    let inputs = crate::lint_input::read_project(&files);
    let settings = crate::commands::lint::LintSettings::from_config(project)?;
    let report = settings.lint(&inputs);
    let mut suite = Suite::new("lint");
    let mut case = Case::new(format!("lint ({} mode)", mode_name(mode)));
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity == strata_lint::Severity::Error)
    {
        let text = format!("{}:{}: {}: {}", f.file, f.line, f.rule, f.message);
        if mode == LintMode::Enforce {
            case.failures.push(text);
        } else {
            case.notes.push(text);
        }
    }
    for p in &inputs.problems {
        case.failures.push(p.to_string());
    }
    if mode != LintMode::Enforce && !case.notes.is_empty() {
        case.notes.push(format!(
            "{} error finding(s) not failing the check: this environment's lint mode is warn (lint = \"enforce\" makes them fail)",
            case.notes.len()
        ));
    }
    case.time = t0.elapsed();
    suite.time = case.time;
    suite.cases.push(case);
    Ok(suite)
}

fn mode_name(mode: LintMode) -> &'static str {
    match mode {
        LintMode::Enforce => "enforce",
        LintMode::Off => "off",
        LintMode::Warn => "warn",
    }
}

#[allow(clippy::too_many_arguments)]
fn database_checks(
    project: &Project,
    migrations: &Migrations,
    checks: &BTreeSet<TestCheck>,
    args: &TestArgs,
    format: TestFormat,
    ws: &Workspace,
    scratch: &suite::Scratch,
    conn: &mut crate::context::Connection,
    revisions: Vec<String>,
    start: Option<String>,
    printer: &Printer,
) -> Result<Vec<Suite>, CliError> {
    let mut out = Vec::new();
    let stairway = checks.contains(&TestCheck::Stairway);
    let data = checks.contains(&TestCheck::Data).then_some(args.data);
    let mut head = None;
    if stairway || data.is_some() {
        let bar = (format == TestFormat::Human && printer.tty && !printer.quiet).then(|| {
            let bar = indicatif::ProgressBar::new(revisions.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "  testing [{bar:30}] {pos}/{len} migrations  {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        let progress = |i: usize, name: &str| {
            if let Some(bar) = &bar {
                bar.set_position(i as u64);
                bar.set_message(name.chars().take(50).collect::<String>());
            }
        };
        let run = Run {
            project,
            migrations,
            revisions: revisions.clone(),
            start: start.clone(),
            stairway,
            data,
        };
        let stair = suite::stairway(&run, ws, scratch, conn, &progress);
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let stair = stair?;
        if stairway {
            out.push(stair.stairway);
        }
        if data.is_some() {
            out.push(stair.data);
        }
        head = stair.head;
    } else if checks.contains(&TestCheck::ModelMatch) {
        let settings = project.settings(false);
        let mut m = Migrator::new(conn.db(), migrations, settings);
        if let Some(s) = &start {
            m.upgrade(s, &mut Silent).map_err(CliError::Engine)?;
        }
        for r in &revisions {
            m.upgrade(r, &mut Silent).map_err(CliError::Engine)?;
        }
        head = Some(ws.introspect(conn)?);
    }
    if checks.contains(&TestCheck::ModelMatch) {
        out.push(model_match(project, ws, head.as_ref())?);
    }
    if checks.contains(&TestCheck::Online) {
        let online: Vec<&str> = revisions
            .iter()
            .filter(|r| migrations.get(r).is_some_and(|f| f.online))
            .map(String::as_str)
            .collect();
        out.push(if online.is_empty() {
            Suite::skipped("online", "no online (.toml) migration in the range")
        } else {
            let run = Run {
                project,
                migrations,
                revisions: revisions.clone(),
                start: start.clone(),
                stairway: false,
                data: None,
            };
            let online: Vec<String> = online.into_iter().map(str::to_owned).collect();
            suite::online::online(&run, ws, scratch, conn, &online)?
        });
    }
    Ok(out)
}

fn model_match(
    project: &Project,
    ws: &Workspace,
    head: Option<&strata_schema::Schema>,
) -> Result<Suite, CliError> {
    let t0 = Instant::now();
    let has_files = project.config.schema_command.is_some()
        || strata_files::schema_files(
            &project.config,
            &std::env::current_dir().unwrap_or_else(|_| project.config.root.clone()),
        )
        .map(|f| !f.is_empty())
        .unwrap_or(false);
    if !has_files {
        return Ok(Suite::skipped(
            "model-match",
            "the project has no schema files and no schema_command",
        ));
    }
    let Some(head) = head else {
        return Ok(Suite::skipped(
            "model-match",
            "the migrations could not all be applied (see the stairway)",
        ));
    };
    let wanted = ws.load(&Side::Desired)?;
    let plan = crate::commands::schema::plan(
        ws.dialect,
        head,
        &wanted.schema,
        &strata_schema::DiffOptions::default(),
    );
    let mut suite = Suite::new("model-match");
    let mut case = Case::new("model-match");
    for c in plan
        .changes
        .iter()
        .filter(|c| c.kind != strata_schema::ChangeKind::ValidateConstraint)
    {
        case.failures.push(format!(
            "the schema files ask for: {}",
            crate::commands::schema::summary(c)
        ));
    }
    if !case.failures.is_empty() {
        case.notes.push(
            "write the migration with `strata revision --autogenerate -m \"...\"`, or fix the schema files".into(),
        );
    }
    case.time = t0.elapsed();
    suite.time = case.time;
    suite.cases.push(case);
    Ok(suite)
}

fn human(suites: &[Suite], printer: &Printer) {
    for s in suites {
        let line = match &s.skipped {
            Some(reason) => format!("{} {}: skipped ({reason})", printer.dim("-"), s.check),
            None if s.passed() => format!(
                "{} {}: passed ({} case(s), {:.1}s)",
                printer.green("ok"),
                s.check,
                s.cases.len(),
                s.time.as_secs_f64()
            ),
            None => format!(
                "{} {}: {} of {} failed",
                printer.red("FAILED"),
                s.check,
                s.failures(),
                s.cases.len()
            ),
        };
        printer.result(&line);
    }
    let failing: Vec<(&str, &Case)> = suites
        .iter()
        .flat_map(|s| s.cases.iter().map(move |c| (s.check, c)))
        .filter(|(_, c)| !c.failures.is_empty())
        .collect();
    if !failing.is_empty() {
        printer.result("");
        printer.result(&printer.bold("failures:"));
        let width = failing.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
        for (check, case) in &failing {
            printer.result(&format!("  {check:width$}  {}", case.name));
            for f in &case.failures {
                printer.result(&format!("  {:width$}    - {f}", ""));
            }
        }
    }
    let notes: Vec<(&str, &Case)> = suites
        .iter()
        .flat_map(|s| s.cases.iter().map(move |c| (s.check, c)))
        .filter(|(_, c)| !c.notes.is_empty())
        .collect();
    if printer.verbose
        || notes
            .iter()
            .any(|(_, c)| c.notes.iter().any(|n| n.starts_with("irreversible")))
    {
        for (check, case) in notes {
            for n in &case.notes {
                if printer.verbose || n.starts_with("irreversible") {
                    printer.line(&format!("note: {check}: {}: {n}", case.name));
                }
            }
        }
    }
}
