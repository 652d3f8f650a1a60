//! `strata version`: the database's schema version from its applied history; `--compute`: every
//! revision's impact from its effect on the schema model, replayed in a scratch database, written
//! into the files' headers (or, with `--check`, only verified). Also the checks of declared
//! versions that `check` and `upgrade` run. docs/versions.md.

use crate::cli::VersionArgs;
use crate::context::{display_path, Project};
use crate::desired::Workspace;
use crate::error::{io_err, CliError, EXIT_PROBLEMS};
use crate::output::Printer;
use strata_core::Impact;
use strata_engine::migrator::Silent;
use strata_engine::versions::{database_version, file_versions, DeclaredTooLow, VersionProblem};
use strata_engine::Migrator;
use strata_files::Migrations;
use strata_schema::DiffOptions;

pub fn version(project: &Project, args: &VersionArgs, printer: &Printer) -> Result<(), CliError> {
    if args.compute {
        return compute_command(project, args.check, printer);
    }
    let migrations = project.migrations()?;
    let tables = project.settings(false).tables;
    let mut db = project.connect_read_only()?;
    let (heads, history) = super::status::read_state(db.as_mut(), &tables)?;
    drop(db);
    let v = database_version(
        &migrations,
        &heads,
        &history,
        project.config.versioning_start,
    );
    if printer.json {
        printer.json_value(&serde_json::to_value(&v).unwrap_or_default());
    } else {
        for r in &v.revisions {
            printer.verbose(&format!(
                "{}  {}  {}",
                r.revision,
                r.impact.map_or("?", Impact::as_str),
                r.version.map_or("?".to_owned(), |v| v.to_string())
            ));
        }
        match v.version {
            Some(version) => printer.result(&version.to_string()),
            None => {
                printer.result(&format!(
                    "{} the schema version cannot be read from the history:",
                    printer.red("unknown:")
                ));
                for p in &v.problems {
                    printer.result(&format!("  {}", problem_text(p)));
                }
            }
        }
    }
    if v.version.is_some() {
        Ok(())
    } else {
        Err(CliError::Reported(EXIT_PROBLEMS))
    }
}

fn problem_text(p: &VersionProblem) -> String {
    match p {
        VersionProblem::Missing { revision } => format!(
            "{revision}: the database is at this revision, which has no migration file\n    hint: restore the file from version control"
        ),
        VersionProblem::Changed {
            revision,
            file,
            applied_checksum,
            file_checksum,
        } => format!(
            "{file}: {revision} was applied with checksum {}…, the file now has {}…, so its `-- strata:impact` line may not be the one applied\n    hint: restore the file, or accept the edit with `strata verify --accept {revision} --reason TEXT`",
            &applied_checksum[..applied_checksum.len().min(12)],
            &file_checksum[..file_checksum.len().min(12)]
        ),
        VersionProblem::NoImpact { revision, file } => format!(
            "{file}: {revision} has no `-- strata:impact` line\n    hint: run `strata version --compute` to write it (the file's checksum changes: record it with `strata verify --accept {revision} --reason \"impact header\"` where it is applied)"
        ),
        _ => "an applied revision's impact is unknown".to_owned(),
    }
}

/// One revision's computed impact beside what its file says.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Computed {
    pub revision: String,
    pub file: String,
    /// `None`: not replayed (an online migration, or after one).
    pub impact: Option<Impact>,
    pub header: Option<Impact>,
    /// Why the impact is what it is (the deciding changes).
    pub reasons: Vec<String>,
    /// The objects the revision adds, changes and drops (from the model diff), and the hazards
    /// of its changes (`id: message`).
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub dropped: Vec<String>,
    pub hazards: Vec<String>,
}

/// Replays every revision in the graph's order in a scratch database (the environment's
/// `shadow_url`, else a temporary database on its server, else in-memory SQLite), reading the
/// schema before and after each, and assesses the plan between the two.
pub fn compute(
    project: &Project,
    migrations: &Migrations,
    printer: &Printer,
) -> Result<Vec<Computed>, CliError> {
    let ws = Workspace::new(project, &[], printer)?;
    let settings = project.settings(false);
    let opts = DiffOptions {
        allow_destructive: true,
        renames: Vec::new(),
    };
    let mut out = Vec::new();
    ws.with_shadow(|conn| {
        let mut before = ws.introspect(conn)?;
        let mut stopped = false;
        for id in migrations.graph.topo_order() {
            let Some(file) = migrations.get(id) else {
                continue;
            };
            let mut computed = Computed {
                revision: id.to_owned(),
                file: file.path.clone(),
                impact: None,
                header: file.impact,
                reasons: Vec::new(),
                added: Vec::new(),
                changed: Vec::new(),
                dropped: Vec::new(),
                hazards: Vec::new(),
            };
            if file.online || stopped {
                stopped = true;
                computed.reasons.push(if file.online {
                    "an online migration: not replayed (it runs through `strata start`/`complete`); write its impact by hand".to_owned()
                } else {
                    "after an online migration: not replayed".to_owned()
                });
                out.push(computed);
                continue;
            }
            Migrator::new(conn.db(), migrations, settings.clone())
                .upgrade(id, &mut Silent)
                .map_err(|e| ws.replay_failed(e))?;
            let after = ws.introspect(conn)?;
            let plan = super::schema::plan(ws.dialect, &before, &after, &opts);
            let assessment = strata_schema::impact::assess(&plan, &before, &after);
            computed.impact = Some(assessment.impact);
            computed.reasons = assessment
                .deciding()
                .map(|r| format!("{}: {}", r.object, r.why))
                .collect();
            objects(&plan, &before, &after, &mut computed);
            out.push(computed);
            before = after;
        }
        Ok(())
    })?;
    Ok(out)
}

fn compute_command(project: &Project, check_only: bool, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let computed = compute(project, &migrations, printer)?;
    let mut problems = 0;
    let mut written = Vec::new();
    let mut version = project.config.versioning_start;
    let mut rows = Vec::new();
    for c in &computed {
        let file = migrations.get(&c.revision);
        let declared = file.and_then(|f| f.version);
        let (status, bad) = match (c.impact, c.header) {
            (None, _) => ("not computed".to_owned(), false),
            (Some(i), Some(h)) if i == h => ("ok".to_owned(), false),
            (Some(i), Some(h)) => (
                format!("the header says {h}, the schema change is {i}: correct the `-- strata:impact` line"),
                true,
            ),
            (Some(_), None) if check_only => (
                "no `-- strata:impact` line: run `strata version --compute`".to_owned(),
                true,
            ),
            (Some(i), None) => {
                let path = project.config.root.join(&c.file);
                let path = if path.exists() {
                    path
                } else {
                    std::path::PathBuf::from(&c.file)
                };
                write_impact(&path, i)?;
                written.push(c.revision.clone());
                ("written".to_owned(), false)
            }
        };
        let impact = c.impact.or(c.header).unwrap_or(Impact::Patch);
        let (next, low) = match version.next(impact, declared) {
            Ok(v) => (v, None),
            Err(least) => (least, Some(least)),
        };
        version = next;
        let mut status = status;
        let mut bad = bad;
        if let (Some(least), Some(d)) = (low, declared) {
            status = format!("declares {d}, less than its {impact} impact implies ({least})");
            bad = true;
        }
        if bad {
            problems += 1;
        }
        rows.push(serde_json::json!({
            "revision": c.revision, "file": c.file, "impact": c.impact, "header": c.header,
            "version": version, "status": status, "ok": !bad, "reasons": c.reasons,
        }));
        if !printer.json {
            let line = format!(
                "{}  {:<5}  {:<8}  {}",
                c.revision,
                c.impact.map_or("?", Impact::as_str),
                version.to_string(),
                if bad { printer.red(&status) } else { status }
            );
            printer.result(&line);
            for r in &c.reasons {
                printer.verbose(&format!("    {r}"));
            }
        }
    }
    if printer.json {
        printer.json_value(&serde_json::json!({
            "ok": problems == 0, "start": project.config.versioning_start,
            "revisions": rows, "written": written,
        }));
    } else if !written.is_empty() {
        printer.line(&format!(
            "wrote `-- strata:impact` into {} file(s); their checksums changed: where they are applied, record the new checksums with `strata verify --accept REV --reason \"impact header\"`",
            written.len()
        ));
    }
    if problems == 0 {
        Ok(())
    } else {
        Err(CliError::Reported(EXIT_PROBLEMS))
    }
}

/// Adds `-- strata:impact …` after the last header line above `-- strata:up` (or as the first
/// line, followed by a blank line, when the file has no header).
fn write_impact(path: &std::path::Path, impact: Impact) -> Result<(), CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(io_err(format!("cannot read {}", display_path(path))))?;
    let line = format!("-- strata:impact {impact}");
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let up = lines.iter().position(|l| {
        strata_files::migration::strata_directive(l)
            .is_some_and(|d| d.key.eq_ignore_ascii_case("up"))
    });
    let last_header = lines[..up.unwrap_or(0)]
        .iter()
        .rposition(|l| strata_files::migration::strata_directive(l).is_some());
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::new();
    match last_header {
        Some(at) => {
            for (i, l) in lines.iter().enumerate() {
                out.push_str(l);
                if i == at {
                    if !l.ends_with('\n') {
                        out.push_str(newline);
                    }
                    out.push_str(&line);
                    out.push_str(newline);
                }
            }
        }
        None => {
            out.push_str(&line);
            out.push_str(newline);
            out.push_str(newline);
            out.push_str(&text);
        }
    }
    std::fs::write(path, out).map_err(io_err(format!("cannot write {}", display_path(path))))
}

/// Revisions that declare a version below what their impact implies, along the graph's order;
/// printed, for `check` and `upgrade`. `only`: restrict to these revisions (an upgrade's plan).
pub fn declared_too_low(
    project: &Project,
    migrations: &Migrations,
    only: Option<&[String]>,
    printer: &Printer,
) -> Vec<DeclaredTooLow> {
    let (_, low) = file_versions(migrations, project.config.versioning_start);
    let low: Vec<DeclaredTooLow> = low
        .into_iter()
        .filter(|l| only.is_none_or(|o| o.contains(&l.revision)))
        .collect();
    for l in &low {
        printer.stderr(&format!(
            "{}:{}: {} {} declares version {}, but its impact is {}: the least it may declare is {}\n  hint: declare {} or more, or remove `-- strata:version` to let the impact decide",
            l.file,
            l.line,
            printer.red("refused:"),
            l.revision,
            l.declared,
            l.impact,
            l.least,
            l.least,
        ));
    }
    low
}

/// `check`'s part: declared versions against impacts, and, when strata.toml has a
/// `[versioning]` table, every `-- strata:impact` line against the schema change it makes
/// (replayed in a scratch database). Problems are printed; `Ok(false)` when there are any.
pub fn check_headers(project: &Project, printer: &Printer) -> Result<bool, CliError> {
    let migrations = project.migrations()?;
    let mut ok = declared_too_low(project, &migrations, None, printer).is_empty();
    if !project.config.versioning {
        return Ok(ok);
    }
    for c in compute(project, &migrations, printer)? {
        let problem = match (c.impact, c.header) {
            (Some(i), Some(h)) if i != h => {
                format!("the header says `-- strata:impact {h}`, the schema change is {i}")
            }
            (Some(i), None) => format!("no `-- strata:impact` line (the schema change is {i})"),
            _ => continue,
        };
        ok = false;
        let line = migrations
            .get(&c.revision)
            .and_then(|f| f.header_lines.get("impact").copied())
            .unwrap_or(1);
        printer.stderr(&format!(
            "{}:{line}: {} {problem}{}\n  hint: `strata version --compute` writes missing lines; correct a wrong one by hand",
            c.file,
            printer.red("check failed:"),
            c.reasons
                .first()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
        ));
    }
    Ok(ok)
}

/// Sorts a plan's changes into objects added, changed and dropped (an object both dropped and
/// added is re-created: changed), and collects their hazards.
fn objects(
    plan: &strata_schema::Plan,
    before: &strata_schema::Schema,
    after: &strata_schema::Schema,
    into: &mut Computed,
) {
    use strata_schema::ChangeKind as K;
    let mut added = std::collections::BTreeSet::new();
    let mut dropped = std::collections::BTreeSet::new();
    let mut changed = std::collections::BTreeSet::new();
    for c in &plan.changes {
        let object = match &c.column {
            Some(column) => format!(
                "column {} on {}",
                strata_core::quote_ident(column),
                c.object.name
            ),
            None => c.object.to_string(),
        };
        // SQLite rebuilds a table for most changes: name the columns that came and went.
        if c.kind == K::RebuildTable {
            let table = |s: &strata_schema::Schema| {
                s.tables
                    .iter()
                    .find(|t| t.name == c.object.name)
                    .map(|t| t.columns.clone())
                    .unwrap_or_default()
            };
            let (old, new) = (table(before), table(after));
            let column = |name: &str| {
                format!(
                    "column {} on {}",
                    strata_core::quote_ident(name),
                    c.object.name
                )
            };
            for o in &old {
                match new.iter().find(|n| n.name == o.name) {
                    None => {
                        dropped.insert(column(&o.name));
                    }
                    Some(n) if n != o => {
                        changed.insert(column(&o.name));
                    }
                    Some(_) => {}
                }
            }
            for n in new.iter().filter(|n| !old.iter().any(|o| o.name == n.name)) {
                added.insert(column(&n.name));
            }
            if old.is_empty() || new.is_empty() {
                changed.insert(object.clone());
            }
        }
        let kind = format!("{:?}", c.kind);
        let dropping = kind.starts_with("Drop")
            && !matches!(
                c.kind,
                K::DropNotNull | K::DropDefault | K::DropIdentity | K::DropDomainConstraint
            );
        let adding = matches!(c.kind, K::AddColumn | K::AddConstraint | K::AddAttribute)
            || kind.starts_with("Create");
        if c.kind == K::RebuildTable {
            // Named column by column above.
        } else if adding {
            added.insert(object);
        } else if dropping {
            dropped.insert(object);
        } else {
            changed.insert(object);
        }
        for h in &c.hazards {
            let text = format!("{}: {}", h.id, h.message);
            if !into.hazards.contains(&text) {
                into.hazards.push(text);
            }
        }
    }
    for both in added.intersection(&dropped).cloned().collect::<Vec<_>>() {
        added.remove(&both);
        dropped.remove(&both);
        changed.insert(both);
    }
    into.added = added.into_iter().collect();
    into.changed = changed.into_iter().collect();
    into.dropped = dropped.into_iter().collect();
}
