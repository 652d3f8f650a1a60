//! Commands that read (and, for `stamp`, set) the state kept in the database.

use crate::context::Project;
use crate::error::{db_err, CliError};
use crate::output::Printer;
use std::collections::BTreeSet;
use strata_engine::verify::{verify as verify_files, Mismatch};
use strata_engine::{Database, Migrator, StateTables};
use strata_files::Migrations;
use strata_graph::Direction;

fn tables(project: &Project) -> StateTables {
    project.settings(false).tables
}

fn read_heads(db: &mut dyn Database, tables: &StateTables) -> Result<Vec<String>, CliError> {
    db.read_heads(tables)
        .map_err(db_err("could not read the version table"))
}

fn pending(migrations: &Migrations, heads: &[String]) -> Result<Vec<String>, CliError> {
    let steps = migrations
        .graph
        .plan_upgrade(heads, "heads")
        .map_err(|e| CliError::invalid(e.to_string()))?;
    Ok(steps.into_iter().map(|s| s.revision).collect())
}

pub fn current(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let mut db = project.connect()?;
    let heads = read_heads(db.as_mut(), &tables(project))?;
    let pending = pending(&migrations, &heads)?;
    if printer.json {
        printer.json_value(&serde_json::json!({ "heads": heads, "pending": pending }));
        return Ok(());
    }
    if heads.is_empty() {
        printer.result("current: base (nothing applied)");
    }
    for head in &heads {
        let message = migrations
            .get(head)
            .map(|f| f.message_or_slug())
            .unwrap_or_else(|| "(no migration file!)".to_owned());
        let is_graph_head = migrations.graph.heads().contains(&head.as_str());
        let tag = if is_graph_head {
            printer.green(" (head)")
        } else {
            String::new()
        };
        printer.result(&format!("current: {} {message}{tag}", printer.bold(head)));
    }
    if pending.is_empty() {
        printer.result("pending: none");
    } else {
        printer.result(&format!(
            "pending: {} — {}",
            pending.len(),
            pending.join(", ")
        ));
    }
    Ok(())
}

pub fn history(project: &Project, range: Option<&str>, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let graph = &migrations.graph;
    let mut db = project.connect()?;
    let heads = read_heads(db.as_mut(), &tables(project))?;
    let known: Vec<String> = heads
        .iter()
        .filter(|h| graph.node(h).is_some())
        .cloned()
        .collect();
    let applied = graph
        .applied_set(&known)
        .map_err(|e| CliError::invalid(e.to_string()))?;
    let selected: Option<BTreeSet<String>> = match range {
        None => None,
        Some(range) => {
            let (from, to) = range.split_once(':').unwrap_or((range, "heads"));
            let from = if from.is_empty() { "base" } else { from };
            let to = if to.is_empty() { "heads" } else { to };
            let mut set: BTreeSet<String> = graph
                .plan_range(from, to, Direction::Up)
                .map_err(|e| CliError::invalid(e.to_string()))?
                .into_iter()
                .map(|s| s.revision)
                .collect();
            if from != "base" {
                set.insert(
                    graph
                        .resolve(from)
                        .map_err(|e| CliError::invalid(e.to_string()))?
                        .to_owned(),
                );
            }
            Some(set)
        }
    };
    let order: Vec<&str> = graph
        .topo_order()
        .into_iter()
        .filter(|id| selected.as_ref().is_none_or(|s| s.contains(*id)))
        .collect();
    if printer.json {
        let items: Vec<_> = order
            .iter()
            .map(|id| {
                let f = migrations.get(id).expect("graph ids have files");
                serde_json::json!({
                    "revision": id,
                    "message": f.message,
                    "parents": f.revises,
                    "labels": f.labels,
                    "depends_on": f.depends_on,
                    "file": f.path,
                    "applied": applied.contains(*id),
                    "current": heads.iter().any(|h| h == id),
                })
            })
            .collect();
        printer.json_value(&serde_json::json!({ "revisions": items }));
        return Ok(());
    }
    for id in order.iter().rev() {
        let f = migrations.get(id).expect("graph ids have files");
        let mark = if heads.iter().any(|h| h == id) {
            printer.green("@")
        } else if applied.contains(*id) {
            "*".to_owned()
        } else {
            " ".to_owned()
        };
        let parents = if f.revises.is_empty() {
            "<base>".to_owned()
        } else {
            f.revises.join(", ")
        };
        let mut extra = Vec::new();
        if f.revises.len() > 1 {
            extra.push("merge".to_owned());
        }
        if graph.children(id).len() > 1 {
            extra.push("branchpoint".to_owned());
        }
        if graph.heads().contains(id) {
            extra.push("head".to_owned());
        }
        for l in &f.labels {
            extra.push(format!("label {l}"));
        }
        let extra = if extra.is_empty() {
            String::new()
        } else {
            printer.dim(&format!(" ({})", extra.join(", ")))
        };
        printer.result(&format!(
            "{mark} {parents} -> {}{extra}  {}",
            printer.bold(id),
            f.message_or_slug()
        ));
    }
    if !printer.quiet {
        printer.line(&printer.dim("@ current   * applied"));
    }
    Ok(())
}

pub fn log(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let mut db = project.connect()?;
    let rows = db
        .read_history(&tables(project))
        .map_err(db_err("could not read the history table"))?;
    if printer.json {
        printer.json_value(&serde_json::json!({ "events": rows }));
        return Ok(());
    }
    if rows.is_empty() {
        printer.result("no events yet (nothing has run against this database)");
    }
    for r in &rows {
        let kind = match r.kind.as_str() {
            "up" => printer.green("up    "),
            "down" => printer.yellow("down  "),
            "failed" => printer.red("failed"),
            _ => format!("{:<6}", r.kind),
        };
        let ms = r
            .execution_ms
            .map(|m| format!("{m} ms"))
            .unwrap_or_default();
        let mut line = format!(
            "{:>4} {} {kind} {} {}  {}  {}",
            r.id,
            r.applied_at,
            printer.bold(&r.revision),
            r.message.clone().unwrap_or_default(),
            printer.dim(&r.applied_by),
            printer.dim(&ms)
        );
        if let Some(error) = &r.error {
            line.push_str(&format!(
                "\n       {}",
                printer.red(error.lines().next().unwrap_or(""))
            ));
        }
        printer.result(line.trim_end());
    }
    Ok(())
}

pub fn stamp(
    project: &Project,
    target: &str,
    reason: &str,
    printer: &Printer,
) -> Result<(), CliError> {
    if reason.trim().is_empty() {
        return Err(CliError::invalid_with_hint(
            "--reason must say why the state is set by hand",
            "e.g. --reason \"restored from a dump taken at 20261125\"",
        ));
    }
    let migrations = project.migrations()?;
    let graph = &migrations.graph;
    let new_heads: Vec<String> = match target {
        "base" => Vec::new(),
        "heads" => graph.heads().into_iter().map(str::to_owned).collect(),
        _ => match graph.resolve(target) {
            Ok(id) => vec![id.to_owned()],
            Err(_) => {
                let steps = graph
                    .plan_upgrade(&[], target)
                    .map_err(|e| CliError::invalid(e.to_string()))?;
                steps
                    .last()
                    .map(|s| s.heads_after.clone())
                    .unwrap_or_default()
            }
        },
    };
    let mut db = project.connect()?;
    let settings = project.settings(false);
    let mut migrator = Migrator::new(db.as_mut(), &migrations, settings);
    let heads = migrator.stamp(&new_heads, reason)?;
    if printer.json {
        printer.json_value(&serde_json::json!({ "heads": heads }));
    } else {
        let now = if heads.is_empty() {
            "base".to_owned()
        } else {
            heads.join(", ")
        };
        printer.line(&format!(
            "stamped: now at {now} (no SQL was run; recorded as `stamp`)"
        ));
    }
    Ok(())
}

pub fn verify(project: &Project, printer: &Printer) -> Result<(), CliError> {
    let migrations = project.migrations()?;
    let mut db = project.connect()?;
    let t = tables(project);
    let heads = read_heads(db.as_mut(), &t)?;
    let history = db
        .read_history(&t)
        .map_err(db_err("could not read the history table"))?;
    let result = verify_files(&migrations, &heads, &history);
    if printer.json {
        printer.json_value(&serde_json::to_value(&result).unwrap_or_default());
    } else {
        for m in &result.mismatches {
            match m {
                Mismatch::Changed { revision, file, applied_checksum, file_checksum, applied_at } => printer.result(&format!(
                    "{} {file}: revision {revision} changed after it was applied on {applied_at} (applied sha256 {}…, file now {}…)\n  hint: restore the file as it was applied and put the change in a new migration",
                    printer.red("mismatch:"),
                    &applied_checksum[..applied_checksum.len().min(12)],
                    &file_checksum[..file_checksum.len().min(12)],
                )),
                Mismatch::Missing { revision } => printer.result(&format!(
                    "{} the database is at revision {revision}, which has no migration file\n  hint: restore the file from version control",
                    printer.red("missing:")
                )),
            }
        }
        if result.mismatches.is_empty() {
            let extra = if result.unrecorded.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} applied through a stamp, not checked)",
                    result.unrecorded.len()
                )
            };
            printer.line(&format!(
                "verified: {} applied migration(s) unchanged{extra}",
                result.verified
            ));
        }
    }
    if result.mismatches.is_empty() {
        Ok(())
    } else {
        Err(CliError::Problems)
    }
}
